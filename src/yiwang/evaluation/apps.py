from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "yiwang.evaluation"
    label = "evaluation"
    verbose_name = _("综合评价")

    def ready(self) -> None:
        from yiwang.core.exports import registry
        from yiwang.evaluation import exports

        # Large exports (a city's grid ranking, a long responsibility list) are built by the
        # worker's generic export job.
        registry.register(exports.EVALUATION, exports.prepare_evaluation)
        registry.register(exports.RESPONSIBILITY, exports.prepare_responsibility)
