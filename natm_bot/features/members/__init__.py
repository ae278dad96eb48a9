"""Member organisations: directory, applications, files, supporters."""
