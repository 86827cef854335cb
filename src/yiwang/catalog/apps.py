from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "yiwang.catalog"
    label = "catalog"
    verbose_name = _("分类与部件")

    def ready(self) -> None:
        post_migrate.connect(_ensure_reference_data, sender=self)
        from yiwang.catalog import exports
        from yiwang.core.exports import registry

        # Large component exports are built by the worker's generic export job.
        registry.register(exports.COMPONENTS, exports.prepare)


def _ensure_reference_data(apps: Any = None, **kwargs: Any) -> None:
    """Reload the standard catalogue if missing (a flushed test database, a wiped table)."""
    from django.apps import apps as global_apps

    from yiwang.catalog.loader import load_catalog

    load_catalog((apps or global_apps).get_model("catalog", "ObjectType"))
