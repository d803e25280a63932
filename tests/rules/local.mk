# tests/rules: see Makefile.am
