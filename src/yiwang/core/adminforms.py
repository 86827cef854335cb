"""Admin forms that validate through the action they will call.

The action is run once inside a rolled-back transaction while the form is cleaned,
so its refusal (an ActionError) shows next to the field it names; the real save
calls the same action again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.db import transaction

from yiwang.core.errors import ActionError


class _DryRun(Exception):
    pass


def dry_run(form: forms.BaseForm, call: Callable[[], Any], field_names: Mapping[str, str]) -> None:
    """Run `call` and roll it back; map its error's field (action argument) to a form field."""
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        pass
    except ActionError as exc:
        field = field_names.get(exc.field or "", exc.field)
        raise forms.ValidationError(
            {field if field in form.fields else "__all__": exc.message}
        ) from exc
