from contextlib import suppress
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "yiwang.intake"
    label = "intake"
    verbose_name = _("多渠道受理")

    def ready(self) -> None:
        post_migrate.connect(_ensure_reference_data, sender=self)


def _ensure_reference_data(apps: Any = None, **kwargs: Any) -> None:
    """Re-seed empty reference tables (a flushed test database): the hotline categories,
    the public-report list, the alarm event types and the 311 category mapping."""
    from django.apps import apps as global_apps

    from yiwang.intake.actions.alarm_setup import seed_event_types
    from yiwang.intake.loader import seed_hotline_categories
    from yiwang.intake.opendata_defaults import seed as seed_opendata_mapping
    from yiwang.intake.public_defaults import seed

    registry = apps or global_apps
    # LookupError: migrated to a state before these tables exist.
    for seed_table in (seed_hotline_categories, seed, seed_event_types, seed_opendata_mapping):
        with suppress(LookupError):
            seed_table(registry)
