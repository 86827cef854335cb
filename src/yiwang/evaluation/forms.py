"""The choices of the evaluation page and the responsibility lists (also read by exports,
which re-check a stored query string with the same forms)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.evaluation import responsibility
from yiwang.org.models import User


class EvaluationForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("考核对象"),
        choices=[
            ("region", _("区域")),
            ("department", _("专业部门")),
            ("inspector", _("监督员")),
            ("operator", _("受理员")),
            ("dispatcher", _("派遣员")),
            ("shift_lead", _("值班长")),
            ("handler", _("处置人员")),
        ],
    )
    level = forms.ChoiceField(
        label=_("区域层级"),
        required=False,
        choices=[
            ("district", _("区县")),
            ("street", _("街道")),
            ("community", _("社区")),
            ("grid", _("单元网格")),
        ],
    )
    period = forms.ChoiceField(
        label=_("统计周期"),
        choices=[
            ("day", _("日")),
            ("week", _("周")),
            ("month", _("月")),
            ("quarter", _("季")),
            ("year", _("年")),
            ("custom", _("自定义")),
        ],
    )
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ResponsibilityForm(forms.Form):
    street = forms.ChoiceField(label=_("街道"), required=False)
    department = forms.ChoiceField(label=_("处置部门"), required=False)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        street = cast(forms.ChoiceField, self.fields["street"])
        street.choices = everything + [(s.code, s.name) for s in responsibility.streets(user)]
        department = cast(forms.ChoiceField, self.fields["department"])
        department.choices = everything + [
            (str(d.pk), d.name) for d in responsibility.departments(user)
        ]
