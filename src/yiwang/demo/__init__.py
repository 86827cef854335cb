"""The demo city: 深圳市福田区 with streets, grids, departments, staff and components.

Everything is created through the real actions, deterministically (seeded), and
only what is missing is created, so loading twice changes nothing.
"""
