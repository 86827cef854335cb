"""Forms of intake pages: the 311 open-data upload (系统管理员)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yiwang.intake import opendata
from yiwang.intake.actions.opendata_jobs import MAX_EVERY


class OpenDataUploadForm(forms.Form):
    """The fields are named as the action's error fields, so a refusal lands next to its
    field (`add_error(exc.field, exc.message)`)."""

    file = forms.FileField(
        label=_("311 CSV 文件"),
        error_messages={"required": _("请选择要导入的 CSV 文件。")},
    )
    city = forms.CharField(
        label=_("城市区划代码"),
        max_length=9,
        help_text=_("9 位街道级代码，前 6 位为已有区县，如 440304901；不存在时新建"),
        error_messages={"required": _("请填写城市区划代码。")},
    )
    name = forms.CharField(
        label=_("城市名称"),
        max_length=50,
        help_text=_("如 波士顿"),
        error_messages={"required": _("请填写城市名称。")},
    )
    tz = forms.CharField(
        label=_("时区"),
        max_length=64,
        help_text=_("文件中本地时间的 IANA 时区，如 America/New_York、America/Los_Angeles"),
        error_messages={"required": _("请填写时区。")},
    )
    fallback = forms.CharField(
        label=_("兜底类型代码"),
        max_length=5,
        initial=opendata.FALLBACK_TYPE,
        help_text=_("未映射类别使用的事件类型"),
    )
    every = forms.IntegerField(
        label=_("抽样间隔"),
        min_value=1,
        max_value=MAX_EVERY,
        initial=1,
        required=False,
        help_text=_("每隔 n 条取 1 条；1 为全部"),
    )
    limit = forms.IntegerField(
        label=_("最多条数"), min_value=1, required=False, help_text=_("不填为不限")
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        limit = settings.OPENDATA_UPLOAD_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("文件不能超过 %(mb)s MB，请分批导入。"), params={"mb": limit // (1024 * 1024)}
            )
        return upload
