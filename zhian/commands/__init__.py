"""Subcommands of the `zhian` console script."""
