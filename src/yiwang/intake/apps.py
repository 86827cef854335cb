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
    the public-report list and the alarm event types."""
    from django.apps import apps as global_apps

    from yiwang.intake.actions.alarm_setup import seed_event_types
    from yiwang.intake.loader import seed_hotline_categories
    from yiwang.intake.public_defaults import seed

    registry = apps or global_apps
    # LookupError: migrated to a state before these tables exist.
    for seed_table in (seed_hotline_categories, seed, seed_event_types):
        with suppress(LookupError):
            seed_table(registry)
