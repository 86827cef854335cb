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
    """Re-seed the default alarm event types if missing (a flushed test database)."""
    from django.apps import apps as global_apps

    from yiwang.intake.actions.alarm_setup import seed_event_types

    seed_event_types(apps or global_apps)
