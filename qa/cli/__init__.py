"""The `qa` command: the command-line edge of the service."""
