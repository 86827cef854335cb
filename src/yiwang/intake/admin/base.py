"""What the intake admin pages share: the acting administrator handed to the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from yiwang.org.adminaccess import AdministratorsAdmin
from yiwang.org.models import User
from yiwang.org.permissions import acting_user


class ActorForm(forms.ModelForm):
    _actor: User  # set by ActorAdmin.get_form


class ActorAdmin(AdministratorsAdmin):
    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form._actor = acting_user(request)  # type: ignore[attr-defined]
        return form
