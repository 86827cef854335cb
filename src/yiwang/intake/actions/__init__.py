"""The write path of intake: one module per channel, plus what they share.

- `channels`: the system account each machine channel files cases as
- `submissions`: what a channel received, its tracking code and its case
"""
