"""Evaluation (综合评价): GB/T 30428.4 indicators, composite scores and grades, computed from
the case timeline for any period, region, department and role, under a versioned scheme."""
