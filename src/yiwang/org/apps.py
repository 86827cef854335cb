from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "yiwang.org"
    label = "org"
    verbose_name = _("组织机构")

    def ready(self) -> None:
        post_migrate.connect(_ensure_reference_data, sender=self)
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from yiwang.org import signals

        user_login_failed.connect(signals.on_login_failed, dispatch_uid="yiwang.login_failed")
        user_locked_out.connect(signals.on_locked_out, dispatch_uid="yiwang.locked_out")


def _ensure_reference_data(apps: Any = None, **kwargs: Any) -> None:
    """Reload the packaged divisions if missing (a flushed test database, a wiped table)."""
    from django.apps import apps as global_apps

    from yiwang.org.loader import load_divisions

    load_divisions((apps or global_apps).get_model("org", "Division"))
