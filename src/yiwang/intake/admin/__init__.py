"""Django admin of intake: what system administrators set up for the channels.

One module per channel. Rows are saved through the intake actions, never by a plain model
save, so every edit is checked and audited; forms dry-run the action in ``clean()`` so a
refusal shows by its field.
"""

from yiwang.intake.admin import hotline, open311, opendata, public, video

__all__ = ["hotline", "open311", "opendata", "public", "video"]
