"""The write path of intake: one module per channel, plus what they share.

- `channels`: the system account each machine channel files cases as
- `submissions`: what a channel received, its tracking code and its case
- video and drone alarms: `cameras` (the GB/T 28181 registry), `alarm_setup` (event-type
  table, alarm sources and their keys), `alarm_checks` + `alarms` (receiving batches, dedup),
  `alarm_review` (the operator's accept / reject)
"""
