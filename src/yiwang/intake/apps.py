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
    """Re-seed empty reference tables (a flushed test database): the hotline categories and
    the public-report list."""
    from django.apps import apps as global_apps

    from yiwang.intake.loader import seed_hotline_categories
    from yiwang.intake.public_defaults import seed

    registry = apps or global_apps
    # LookupError: migrated to a state before these tables exist.
    with suppress(LookupError):
        seed_hotline_categories(registry)
    with suppress(LookupError):
        seed(registry)
