"""Pydantic shapes of the intake channels' formats, one module per channel."""
