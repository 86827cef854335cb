"""Intake pages, one module per channel."""
