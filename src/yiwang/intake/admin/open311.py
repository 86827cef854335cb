"""Admin of the Open311 interface's clients, and of the one list of what the public may report
(公众可报类型: the report page's types under their tiles, and Open311 `services`).

Rows are saved through the intake actions, never by a plain model save, so every edit is
checked and audited; forms dry-run the action in ``clean()`` so a refusal shows by its field.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import ObjectType
from yiwang.core import adminforms
from yiwang.intake.actions import open311 as open311_actions
from yiwang.intake.admin.base import ActorAdmin, ActorForm
from yiwang.intake.models import Open311Client, PublicService
from yiwang.org.permissions import acting_user


class _ActorAdmin(ActorAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Requests keep pointing at their client and service: switch them off instead.
        return False


class Open311ClientForm(ActorForm):
    class Meta:
        model = Open311Client
        fields = ["name", "contact", "rate", "is_active"]

    def save_through_action(self) -> tuple[str | None, Open311Client]:
        data = self.cleaned_data
        if self.instance.pk is None:
            key, client = open311_actions.issue_client(
                self._actor, name=data["name"], contact=data["contact"], rate=data["rate"]
            )
            if not data["is_active"]:
                client = open311_actions.update_client(self._actor, client.pk, is_active=False)
            return key, client
        client = open311_actions.update_client(
            self._actor,
            self.instance.pk,
            name=data["name"],
            contact=data["contact"],
            rate=data["rate"],
            is_active=data["is_active"],
        )
        return None, client

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            adminforms.dry_run(self, self.save_through_action, {})
        return data


@admin.register(Open311Client)
class Open311ClientAdmin(_ActorAdmin):
    """Clients of the Open311 interface; the api_key is shown once, when issued or reset."""

    form = Open311ClientForm
    list_display = ["name", "key_prefix", "rate", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "key_prefix", "contact"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    actions = ["reset_keys"]

    def save_model(self, request: HttpRequest, obj: Open311Client, form: Any, change: bool) -> None:
        key, saved = form.save_through_action()
        obj.pk = saved.pk
        if key is not None:
            messages.warning(
                request,
                gettext("客户端“%(name)s”的 api_key：%(key)s（只显示这一次，请立即转交对方保存）")
                % {"name": saved.name, "key": key},
            )

    @admin.action(description=_("重置所选客户端的 api_key"))
    def reset_keys(self, request: HttpRequest, queryset: QuerySet[Open311Client]) -> None:
        actor = acting_user(request)
        for client in queryset:
            key = open311_actions.reset_client_key(actor, client.pk)
            messages.warning(
                request,
                gettext("客户端“%(name)s”的新 api_key：%(key)s（只显示这一次，旧密钥已失效）")
                % {"name": client.name, "key": key},
            )


class PublicServiceForm(ActorForm):
    attributes = forms.CharField(
        label=_("附加字段"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_(
            "JSON 列表，每项如 "
            '{"code": "SIZE", "datatype": "singlevaluelist", "required": true, '
            '"description": "垃圾多少", "values": [{"key": "small", "name": "一袋以内"}]}；'
            "datatype 可为 string、number、datetime、text、singlevaluelist、multivaluelist。"
        ),
    )

    class Meta:
        model = PublicService
        fields = [
            "type",
            "category",
            "name",
            "description",
            "keywords",
            "group",
            "order",
            "is_active",
        ]
        help_texts = {
            "category": _("公众上报页面上该类型所在的图块。"),
            "name": _("留空则用目录中的类型名称；可改为群众更易懂的说法。"),
            "keywords": _("公众上报页面搜索时也按关键词匹配（逗号分隔）。"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "type" in self.fields:
            self.fields["type"].queryset = ObjectType.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["attributes"] = json.dumps(
                self.instance.attributes, ensure_ascii=False, indent=2
            )

    def clean_attributes(self) -> Any:
        raw = self.cleaned_data.get("attributes") or ""
        if not raw.strip():
            return []
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(gettext("不是有效的 JSON：%s") % exc) from None

    def save_through_action(self) -> PublicService:
        data = self.cleaned_data
        obj_type = self.instance.type if self.instance.pk else data["type"]
        return open311_actions.save_public_service(
            self._actor,
            kind=obj_type.kind,
            type_code=obj_type.code,
            name=data.get("name", ""),
            description=data.get("description", ""),
            keywords=data.get("keywords", ""),
            group=data.get("group", ""),
            attributes=data.get("attributes"),
            order=data.get("order") or 0,
            is_active=data.get("is_active", False),
            category_id=data["category"].pk if data.get("category") else None,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            adminforms.dry_run(
                self, self.save_through_action, {"type_code": "type", "category": "category"}
            )
        return data


@admin.register(PublicService)
class PublicServiceAdmin(_ActorAdmin):
    """The one list of what the public may report: each type under its tile of the report
    page, also offered by Open311 `services` with its questions."""

    form = PublicServiceForm
    list_display = ["type", "name", "category", "group", "order", "is_active", "updated_at"]
    list_filter = ["category", "is_active", "type__kind"]
    search_fields = ["type__code", "type__name", "name", "keywords"]
    list_select_related = ["type", "category"]
    ordering = ["category__position", "order", "id"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The type names the entry; open another type as a new entry.
        return ["type"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: PublicService, form: Any, change: bool) -> None:
        obj.pk = form.save_through_action().pk
