"""The `storesync` command line. Nothing imports it."""
