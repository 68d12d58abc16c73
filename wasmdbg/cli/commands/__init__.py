"""One module per subcommand; each builds data with the core and prints it."""
