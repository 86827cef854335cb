"""Intake: every channel by which a problem reaches the city (ARCHITECTURE.md, consumers).

The public, the inspector's phone, Open311 clients, the 12345 hotline, video AI and
drones. Each channel records what it received as a `Submission` and creates or follows a
case through the case actions; `cases` never imports this app.
"""
