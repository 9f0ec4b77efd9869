"""One module per source."""
