"""Forms of the case pages: the search filters and the new-case report.

Forms only parse and check the shape of input; the rules (who may report from
which source, whether a point lies in a grid …) stay in `actions` and come back
as `ActionError`s, which `attach_error` puts next to the right field.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiwang.cases.actions.reporting import REPORTER_SOURCES
from yiwang.cases.models import DESCRIPTION_MAX_LENGTH, Case, Source, State, Urgency
from yiwang.cases.queries import SEARCH_TEXT_MAX_LENGTH, SearchFilters
from yiwang.catalog.models import Component, Kind
from yiwang.core.errors import ActionError
from yiwang.core.scope import scope_path
from yiwang.core.textinput import SafeTextValidator, model_max_length
from yiwang.org import queries as org_queries
from yiwang.org.models import Department, Division, User

SINGLE_LINE = [SafeTextValidator()]
MULTILINE = [SafeTextValidator(multiline=True)]
DATE_ERRORS = {"invalid": _("日期格式不正确，应为 年-月-日，如 2026-01-31。")}
ANY = [("", _("全部"))]


def streets_in_scope(user: User) -> QuerySet[Division]:
    return org_queries.divisions(user).filter(level=Division.Level.STREET).order_by("code")


def departments_for_search(user: User) -> QuerySet[Department]:
    """Departments in the user's subtree plus those above it.

    A street inspector's cases are often handled by a district department, which lies
    outside the street's subtree but still is a sensible filter.
    """
    path = scope_path(user)
    if path is None:
        return Department.objects.none()
    if path == "":
        return Department.objects.select_related("division").order_by("division__path", "name")
    parts = [p for p in path.split("/") if p]
    ancestors = ["".join(f"{p}/" for p in parts[:i]) for i in range(1, len(parts))]
    return (
        Department.objects.select_related("division")
        .filter(Q(division__path__startswith=path) | Q(division__path__in=ancestors))
        .order_by("division__path", "name")
    )


class SearchForm(forms.Form):
    """The case search filters, all optional; kept in the URL so a search can be shared."""

    number = forms.CharField(
        label=_("案卷号"), required=False, max_length=32, validators=SINGLE_LINE
    )
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=ANY + list(Kind.choices))
    type = forms.CharField(label=_("小类"), required=False, max_length=10)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=ANY + list(State.choices))
    grid = forms.CharField(label=_("单元网格"), required=False, max_length=20)
    street = forms.ChoiceField(label=_("街道"), required=False)
    department = forms.TypedChoiceField(
        label=_("处置部门"), required=False, coerce=int, empty_value=None
    )
    source = forms.ChoiceField(label=_("来源"), required=False, choices=ANY + list(Source.choices))
    date_from = forms.DateField(label=_("上报日期从"), required=False, error_messages=DATE_ERRORS)
    date_to = forms.DateField(label=_("至"), required=False, error_messages=DATE_ERRORS)
    overdue = forms.BooleanField(label=_("仅看超期"), required=False)
    q = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=SEARCH_TEXT_MAX_LENGTH,
        validators=SINGLE_LINE,
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bad_choice = {"invalid_choice": _("请从列表中选择。")}
        street = self.fields["street"]
        street.choices = ANY + [(s.code, s.name) for s in streets_in_scope(user)]  # type: ignore[attr-defined]
        street.error_messages.update(bad_choice)
        department = self.fields["department"]
        department.choices = ANY + [  # type: ignore[attr-defined]
            (str(d.pk), d.name) for d in departments_for_search(user)
        ]
        department.error_messages.update(bad_choice)
        for name in ("kind", "state", "source"):
            self.fields[name].error_messages.update(bad_choice)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_from", _("开始日期不能晚于结束日期。"))
        return data

    def filters(self) -> SearchFilters:
        """The filters of a valid form (call `is_valid()` first)."""
        d = self.cleaned_data
        return SearchFilters(
            number=d["number"].strip(),
            type_code=d["type"].strip(),
            kind=d["kind"],
            state=d["state"],
            grid=d["grid"].strip(),
            street=d["street"],
            department=d["department"],
            source=d["source"],
            date_from=d["date_from"],
            date_to=d["date_to"],
            overdue=d["overdue"],
            q=d["q"].strip(),
        )


def sources_for(user: User) -> list[tuple[str, Any]]:
    """The sources this user may report from, in the order of `Source`."""
    allowed = set(Source.values) if user.is_superuser else REPORTER_SOURCES.get(user.role, set())
    return [(value, label) for value, label in Source.choices if value in allowed]


class NewCaseForm(forms.Form):
    """What a reporter types in; `report_fields()` is the keyword set `report_case` takes."""

    kind = forms.ChoiceField(
        label=_("类型"),
        choices=Kind.choices,
        initial=Kind.MATTER,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择部件或事件。")},
    )
    type_code = forms.CharField(
        label=_("小类"),
        max_length=10,
        error_messages={"required": _("请选择小类。")},
        widget=forms.HiddenInput,
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(label=_("来源"))
    title = forms.CharField(
        label=_("标题"),
        max_length=model_max_length(Case, "title"),
        validators=SINGLE_LINE,
        error_messages={"required": _("请填写标题。")},
    )
    description = forms.CharField(
        label=_("问题描述"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=MULTILINE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    address = forms.CharField(
        label=_("地址"),
        required=False,
        max_length=model_max_length(Case, "address"),
        validators=SINGLE_LINE,
    )
    lon = forms.FloatField(
        label=_("经度"),
        error_messages={
            "required": _("请在地图上点选问题位置，或填写经纬度。"),
            "invalid": _("经度应为数字，如 114.0579。"),
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    lat = forms.FloatField(
        label=_("纬度"),
        error_messages={
            "required": _("请在地图上点选问题位置，或填写经纬度。"),
            "invalid": _("纬度应为数字，如 22.5431。"),
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    component_ident = forms.CharField(
        label=_("部件标识码"),
        required=False,
        max_length=model_max_length(Component, "ident"),
        validators=SINGLE_LINE,
    )
    contact_name = forms.CharField(
        label=_("联系人"),
        required=False,
        max_length=model_max_length(Case, "contact_name"),
        validators=SINGLE_LINE,
    )
    contact_phone = forms.CharField(
        label=_("联系电话"),
        required=False,
        max_length=model_max_length(Case, "contact_phone"),
        validators=SINGLE_LINE,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    # A fresh token per page shown: a double submit of the page creates one case.
    idempotency_key = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = uuid.uuid4().hex
        source = self.fields["source"]
        choices = sources_for(user)
        source.choices = choices  # type: ignore[attr-defined]
        source.initial = choices[0][0] if choices else ""
        source.error_messages.update(
            {
                "invalid_choice": _("您的角色不能登记这个来源的案卷。"),
                "required": _("请选择来源。"),
            }
        )

    def report_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "type_code": d["type_code"].strip(),
            "urgency": d["urgency"],
            "source": d["source"],
            "title": d["title"],
            "description": d["description"],
            "address": d["address"],
            "lon": d["lon"],
            "lat": d["lat"],
            "component_ident": d["component_ident"].strip(),
            "contact_name": d["contact_name"],
            "contact_phone": d["contact_phone"],
        }


def new_token(form: NewCaseForm) -> None:
    """Give a bound form a fresh token, so that its next submit is a new report."""
    data = dict(form.data.items())
    data["idempotency_key"] = uuid.uuid4().hex
    form.data = data


def attach_error(form: forms.Form, error: ActionError) -> None:
    """Show an action's refusal next to the field it names, else at the top of the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
