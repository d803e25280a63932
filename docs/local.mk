# Documentation installed with the program.
dist_doc_DATA += docs/production.md docs/kubernetes.md \
	docs/security.md docs/clouds.md
