# Documentation installed with the program.
dist_doc_DATA += docs/production.md docs/kubernetes.md \
	docs/security.md docs/clouds.md docs/plugin.md
# Developer notes, shipped in the tarball only (issue 24: profile).
EXTRA_DIST += docs/performance.md
