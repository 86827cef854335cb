"""Django admin for evaluation schemes: system administrators only.

Every save goes through `evaluation.actions` (validated, audited). Saving the change form
of a version does not edit it: it writes the next version of the same scheme (versions are
immutable, results name the version they used). Versions are never deleted. The list has
an action to make a version the current one.
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

from yiwang.core.errors import ActionError
from yiwang.evaluation import actions
from yiwang.evaluation import scheme as scheme_rules
from yiwang.evaluation.models import Scheme
from yiwang.org.adminaccess import AdministratorsAdmin
from yiwang.org.permissions import acting_user


class SchemeForm(forms.ModelForm):
    definition = forms.JSONField(label=_("方案内容"), widget=forms.Textarea(attrs={"rows": 30}))

    class Meta:
        model = Scheme
        fields = ["code", "name", "note", "definition"]

    def clean_definition(self) -> Any:
        value = self.cleaned_data["definition"]
        try:
            scheme_rules.validate(value)
        except ActionError as exc:
            raise forms.ValidationError(exc.message) from exc
        return value


@admin.register(Scheme)
class SchemeAdmin(AdministratorsAdmin):
    form = SchemeForm
    list_display = ["name", "code", "version", "is_current", "created_at", "created_by"]
    list_filter = ["code", "is_current"]
    actions = ["make_current_action"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The code of an existing scheme stays; the rest is the new version's content.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A new scheme starts from the project's default (the standard plus the handlers'
        # composite), so an administrator edits weights rather than typing the structure.
        return {
            "definition": json.dumps(scheme_rules.PROJECT_DEFAULT, ensure_ascii=False, indent=2)
        }

    def save_model(self, request: HttpRequest, obj: Scheme, form: Any, change: bool) -> None:
        actor = acting_user(request)
        data = form.cleaned_data
        if change:
            base = Scheme.objects.get(pk=obj.pk)
            saved = actions.revise_scheme(
                actor, base, data["name"], data["definition"], data.get("note", "")
            )
            messages.info(
                request,
                gettext("已保存为新版本 v%(new)s，原版本 v%(old)s 保持不变")
                % {"new": saved.version, "old": base.version},
            )
        else:
            saved = actions.create_scheme(
                actor, data["code"], data["name"], data["definition"], data.get("note", "")
            )
        # The admin goes on (messages, redirect) with the row actually written.
        obj.pk = saved.pk
        obj.version = saved.version

    @admin.action(description=_("设为当前使用的方案"))
    def make_current_action(self, request: HttpRequest, queryset: QuerySet[Scheme]) -> None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            messages.error(request, gettext("请只选择一个方案版本"))
            return
        actions.make_current(acting_user(request), chosen[0])
        messages.success(request, gettext("%(scheme)s 已设为当前方案") % {"scheme": chosen[0]})
