"""Our losses (being written)."""
