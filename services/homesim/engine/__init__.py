"""Fast-forward runtime: the device models stepped in one process, and what-if comparisons."""
