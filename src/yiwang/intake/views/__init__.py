"""Pages of the intake channels: one module per channel."""
