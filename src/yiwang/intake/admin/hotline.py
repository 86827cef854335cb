"""Admin of the 12345 hotline: the hotline systems (codes, signing secrets, callback URL) and the
category → matter type table. Saved through `intake.actions.hotline`, never by a plain
model save, so each edit is checked and audited; forms dry-run the action in ``clean()``
so a refusal shows next to its field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from yiwang.core import adminforms
from yiwang.core.errors import ActionError
from yiwang.intake.actions import hotline as hotline_actions
from yiwang.intake.admin.base import ActorAdmin, ActorForm
from yiwang.intake.models import HotlineCategory, HotlineSystem
from yiwang.org.permissions import acting_user

FORM_FIELDS = {"type_code": "type"}


# ---- hotline category → matter type ---------------------------------------------------------


class HotlineCategoryForm(ActorForm):
    class Meta:
        model = HotlineCategory
        fields = ["code", "name", "type", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "type" in self.fields:
            field = self.fields["type"]
            field.queryset = field.queryset.filter(kind="matter", is_active=True)  # type: ignore[attr-defined]

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        matter = data.get("type")
        return {
            "code": data.get("code", ""),
            "name": data.get("name", ""),
            "type_code": matter.code if matter else "",
            "is_active": data.get("is_active", False),
        }

    def validate_unique(self) -> None:
        # The action updates the row of an existing code rather than refusing it.
        pass

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            kwargs = self.action_kwargs()
            adminforms.dry_run(
                self, lambda: hotline_actions.set_category(self._actor, **kwargs), FORM_FIELDS
            )
        return data


@admin.register(HotlineCategory)
class HotlineCategoryAdmin(ActorAdmin):
    form = HotlineCategoryForm
    list_display = ["code", "name", "type", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "type__code", "type__name"]
    list_select_related = ["type"]

    def save_model(
        self, request: HttpRequest, obj: HotlineCategory, form: Any, change: bool
    ) -> None:
        if change and obj.pk and "code" in form.changed_data:
            # A renamed code is a new row; the old one goes.
            hotline_actions.delete_category(acting_user(request), obj.pk)
        saved = hotline_actions.set_category(acting_user(request), **form.action_kwargs())
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: HotlineCategory) -> None:
        hotline_actions.delete_category(acting_user(request), obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in list(queryset):
            try:
                self.delete_model(request, obj)
            except ActionError as exc:
                messages.error(request, f"{obj}：{exc.message}")


# ---- hotline systems ------------------------------------------------------------------------


class HotlineSystemForm(ActorForm):
    callback_url = forms.URLField(
        label=_("回调地址"), required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = HotlineSystem
        fields = ["code", "name", "inbound_secret", "callback_url", "callback_secret", "is_active"]
        help_texts = {
            "inbound_secret": _("热线系统签名请求所用的密钥；新建时留空则随机生成。"),
            "callback_secret": _("本平台签名回传消息所用的密钥；新建时留空则随机生成。"),
            "callback_url": _("立案、退单、办结回传到此地址（POST JSON）；留空则不回传。"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("inbound_secret", "callback_secret"):
            if name in self.fields:
                self.fields[name].required = False


@admin.register(HotlineSystem)
class HotlineSystemAdmin(ActorAdmin):
    form = HotlineSystemForm
    list_display = ["code", "name", "callback_url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["code"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: HotlineSystem, form: Any, change: bool) -> None:
        actor = acting_user(request)
        data = form.cleaned_data
        if not change:
            saved = hotline_actions.create_system(
                actor,
                code=data["code"],
                name=data["name"],
                inbound_secret=data.get("inbound_secret") or "",
                callback_url=data.get("callback_url") or "",
                callback_secret=data.get("callback_secret") or "",
            )
            obj.pk = saved.pk
            return
        fields = {k: data[k] for k in form.changed_data if k != "code"}
        hotline_actions.update_system(actor, obj.pk, **fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # orders and messages refer to it: switch it off instead
