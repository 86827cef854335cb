from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    label = "cases"
    verbose_name = _("案卷")

    def ready(self) -> None:
        post_migrate.connect(_ensure_reference_data, sender=self)
        from yiwang.cases import exports
        from yiwang.core.exports import registry

        # Large case exports are built by the worker's generic export job.
        registry.register(exports.CASE_SEARCH, exports.prepare)


def _ensure_reference_data(apps: Any = None, **kwargs: Any) -> None:
    """Re-seed empty time-limit and calendar tables (a flushed test database)."""
    from django.apps import apps as global_apps

    from yiwang.cases.defaults import seed

    seed(apps or global_apps)
