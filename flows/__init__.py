"""One sub-package per workflow, plus `common` for what they share."""
