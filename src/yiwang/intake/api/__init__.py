"""The JSON API of intake: one router per channel (mounted in yiwang.api)."""
