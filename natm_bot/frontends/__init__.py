"""Front ends: the command line, the console, the demo, offline file commands."""
