"""The spine every stage shares: message contract, topics, transports, stage runner, errors and the CLI."""
