"""yiwang (一网统管): city operation management service platform."""

__version__ = "0.1.0"
