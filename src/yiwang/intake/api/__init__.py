"""The JSON API of the intake channels: one router module per channel."""
