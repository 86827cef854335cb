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
        from yiwang.core.exports import registry
        from yiwang.evaluation import exports

        # Large exports (a city's grid ranking, a long responsibility list) are built by the
        # worker's generic export job.
        registry.register(exports.EVALUATION, exports.prepare_evaluation)
        registry.register(exports.RESPONSIBILITY, exports.prepare_responsibility)


def _ensure_shipped_scheme(apps: Any = None, **kwargs: Any) -> None:
    """Put the shipped scheme back if its rows are gone (a flushed test database: browser
    tests flush after each test)."""
    from django.apps import apps as global_apps

    from yiwang.evaluation.loader import ensure_shipped_scheme

    ensure_shipped_scheme((apps or global_apps).get_model("evaluation", "Scheme"))
