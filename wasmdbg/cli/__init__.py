"""The command line: argument parsing, dispatch to commands, exit statuses."""
