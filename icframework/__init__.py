"""icframework."""
