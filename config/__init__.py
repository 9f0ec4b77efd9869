"""Settings models, defaults and the shared label and channel lists."""
