"""Pages of intake: one module per channel."""
