"""Bulletins (日盘点、周分析、月通报): content built from the case timeline, frozen as issued."""
