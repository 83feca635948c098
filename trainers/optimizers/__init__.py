"""Our optimizers (being written)."""
