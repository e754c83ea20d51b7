# docs/: man pages, format specification, benchmarks.
dist_man_MANS += docs/evident.1
EXTRA_DIST += docs/benchmarks.md
