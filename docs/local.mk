# docs: see Makefile.am
