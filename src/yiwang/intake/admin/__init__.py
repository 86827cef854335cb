"""Django admin of intake: what system administrators set up for the channels.

One module per channel. Rows are saved through the intake actions, never by a plain model
save, so every edit is checked and audited.
"""

from yiwang.intake.admin import public

__all__ = ["public"]
