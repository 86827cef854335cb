"""The JSON API of intake: one router module per channel."""
