"""Who reads which language: a person's choice, else their room's, else the default."""
