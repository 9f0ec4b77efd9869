"""Sources that turn what citizens send into RawMessages on the raw topic."""
