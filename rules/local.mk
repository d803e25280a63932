# rules: see Makefile.am
