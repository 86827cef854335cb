from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "yiwang.evaluation"
    label = "evaluation"
    verbose_name = _("综合评价")

    def ready(self) -> None:
        post_migrate.connect(_ensure_shipped_scheme, sender=self)


def _ensure_shipped_scheme(apps: Any = None, **kwargs: Any) -> None:
    """Re-ship GB/T 30428.4's scheme when it is missing (a flushed test database: without
    it every evaluation and monthly bulletin after a transactional test has no scheme)."""
    from django.apps import apps as global_apps

    seed = import_module("yiwang.evaluation.migrations.0002_seed_gbt_30428_4")
    seed.forwards(apps or global_apps, None)
