"""Django admin for organisation reference data: divisions, departments, staff, tokens.

Every save and delete goes through ``org.actions`` (the same checks and audit rows as
the API); the forms only collect the input. Every list is limited to the acting
administrator's division subtree.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from yiwang.core import adminforms
from yiwang.core.errors import ActionError
from yiwang.core.scope import path_in_scope, scoped
from yiwang.org import actions
from yiwang.org.adminaccess import is_system_admin
from yiwang.org.models import ApiToken, Department, Division, User
from yiwang.org.permissions import acting_user

# Action argument names → admin form field names.
FORM_FIELDS = {
    "division_code": "division",
    "parent_code": "parent",
    "department_id": "department",
    "password": "password2",
}


def check_action(form: forms.BaseForm, call: Callable[[], Any]) -> None:
    """Run an action and roll it back: its ActionError becomes a form error by the field."""
    adminforms.dry_run(form, call, FORM_FIELDS)


class ScopedAdmin(admin.ModelAdmin):
    """Open to system administrators (role) and superusers, limited to their subtree."""

    # Lookup of the division path on this model, for the scope filter.
    scope_path: str = ""

    def _obj_path(self, obj: Model) -> str:
        value: Any = obj
        for part in self.scope_path.split("__"):
            value = getattr(value, part)
        return str(value)

    def _allowed(self, request: HttpRequest, obj: Model | None) -> bool:
        if not is_system_admin(request):
            return False
        return obj is None or path_in_scope(request.user, self._obj_path(obj))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scoped(super().get_queryset(request), request.user, self.scope_path)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cases, grids and staff point at these rows; deactivate instead of deleting.
        return False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # Add forms dry-run the action in clean(), which needs the acting user.
        form = super().get_form(request, obj, change=change, **kwargs)
        form._actor = acting_user(request)  # type: ignore[attr-defined]
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Pickers offer only what lies inside the administrator's subtree.
        if db_field.related_model is Division:
            kwargs["queryset"] = scoped(Division.objects.all(), request.user, "path")
        elif db_field.related_model is Department:
            kwargs["queryset"] = scoped(
                Department.objects.select_related("division"), request.user, "division__path"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# ---------------------------------------------------------------------------
# Divisions


class DivisionForm(forms.ModelForm):
    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and not self.errors:
            check_action(self, lambda: _create_division(self._actor, data))
        return data

    _actor: User  # the administrator saving it, set by get_form


def _create_division(actor: User, data: dict[str, Any]) -> Division:
    parent = data.get("parent")
    return actions.create_division(
        actor,
        code=data.get("code", ""),
        name=data.get("name", ""),
        level=data.get("level", ""),
        parent_code=parent.code if parent else "",
    )


@admin.register(Division)
class DivisionAdmin(ScopedAdmin):
    form = DivisionForm
    scope_path = "path"
    list_display = ["code", "name", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]
    list_per_page = 50

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Code, level and parent make up the path every scope check relies on.
        return ["path"] if obj is None else ["code", "level", "parent", "path"]

    def save_model(self, request: HttpRequest, obj: Division, form: Any, change: bool) -> None:
        if change:
            actions.rename_division(acting_user(request), obj.pk, form.cleaned_data.get("name", ""))
            return
        created = _create_division(acting_user(request), form.cleaned_data)
        obj.pk, obj.path = created.pk, created.path


# ---------------------------------------------------------------------------
# Departments


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "kind", "division", "credit_code", "is_active"]

    _actor: User  # the administrator saving it, set by get_form

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and not self.errors:
            check_action(self, lambda: _create_department(self._actor, data))
        elif data.get("credit_code"):
            from yiwang.org.validators import validate_credit_code

            try:
                data["credit_code"] = validate_credit_code(data["credit_code"])
            except ActionError as exc:
                raise forms.ValidationError({"credit_code": exc.message}) from exc
        return data


def _create_department(actor: User, data: dict[str, Any]) -> Department:
    division = data.get("division")
    return actions.create_department(
        actor,
        name=data.get("name", ""),
        kind=data.get("kind", ""),
        division_code=division.code if division else "",
        credit_code=data.get("credit_code", ""),
        is_active=data.get("is_active", True),
    )


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    form = DepartmentForm
    scope_path = "division__path"
    list_display = ["name", "kind", "division", "credit_code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code", "division__name"]
    list_select_related = ["division"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["division"]

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        if change:
            data = form.cleaned_data
            actions.update_department(
                acting_user(request),
                obj.pk,
                name=data.get("name"),
                kind=data.get("kind"),
                credit_code=data.get("credit_code", ""),
                is_active=data.get("is_active"),
            )
            return
        created = _create_department(acting_user(request), form.cleaned_data)
        obj.pk = created.pk


# ---------------------------------------------------------------------------
# Staff


class StaffCreationForm(UserCreationForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ["username", "display_name", "role", "division", "department", "phone"]

    _actor: User  # the administrator saving it, set by get_form

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            check_action(self, lambda: _create_staff(self._actor, data))
        return data


class StaffChangeForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = "__all__"


def _create_staff(actor: User, data: dict[str, Any]) -> User:
    division = data.get("division")
    department = data.get("department")
    return actions.create_staff(
        actor,
        username=data.get("username", ""),
        password=data.get("password1") or "",
        role=data.get("role", ""),
        division_code=division.code if division else "",
        display_name=data.get("display_name", ""),
        department_id=department.pk if department else None,
        phone=data.get("phone", ""),
    )


# The administrator whose request changes a password: Django's password view builds the
# form without the request, so the form finds its actor here (per request, thread-safe).
_password_actor: ContextVar[User] = ContextVar("password_actor")


class StaffPasswordForm(AdminPasswordChangeForm):
    """Django's password page, writing through ``actions.set_password``."""

    def _new_password(self) -> str | None:
        data = self.cleaned_data
        return (data.get("password1") or "") if data.get("set_usable_password") else None

    def validate_password_for_user(self, user: User, **kwargs: Any) -> None:
        # The action checks the password (one rule for every caller, its message in Chinese).
        return None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            actor, password = _password_actor.get(), self._new_password()
            check_action(self, lambda: actions.set_password(actor, self.user.pk, password))
        return data

    def save(self, commit: bool = True) -> Any:
        changed = actions.set_password(_password_actor.get(), self.user.pk, self._new_password())
        # Django's view keeps the acting session with the hash of `self.user`'s password.
        self.user.password = changed.password
        return changed


@admin.register(User)
class StaffAdmin(ScopedAdmin, DjangoUserAdmin):  # type: ignore[misc]
    form = StaffChangeForm
    add_form = StaffCreationForm
    scope_path = "division__path"
    list_display = ["username", "display_name", "role", "division", "department", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "phone"]
    list_select_related = ["division", "department"]
    ordering = ["username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("岗位"), {"fields": ("display_name", "role", "division", "department", "phone")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "password1",
                    "password2",
                    "display_name",
                    "role",
                    "division",
                    "department",
                    "phone",
                ),
            },
        ),
    )

    change_password_form = StaffPasswordForm

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        token = _password_actor.set(acting_user(request))
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)

    def _obj_path(self, obj: Model) -> str:
        division = getattr(obj, "division", None)
        return str(division.path) if division else ""

    def _allowed(self, request: HttpRequest, obj: Model | None) -> bool:
        # A system administrator may not view, edit or reset the password of a superuser.
        if obj is not None and getattr(obj, "is_superuser", False):
            return bool(request.user.is_superuser)
        return super()._allowed(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            # Only a superuser hands out superuser rights or raw Django permissions.
            fixed += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return fixed

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            created = _create_staff(acting_user(request), form.cleaned_data)
            obj.pk = created.pk
            return
        data = form.cleaned_data
        department = data.get("department")
        actions.update_staff(
            acting_user(request),
            obj.pk,
            display_name=data.get("display_name", obj.display_name),
            role=data.get("role", obj.role),
            division_code=data["division"].code if data.get("division") else None,
            department_id=department.pk if department else None,
            phone=data.get("phone", obj.phone),
            is_active=data.get("is_active", obj.is_active),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        data = form.cleaned_data
        if change and request.user.is_superuser and "groups" in data:
            actions.set_staff_permissions(
                request.user,
                form.instance.pk,
                group_ids=[g.pk for g in data["groups"]],
                permission_ids=[p.pk for p in data.get("user_permissions", [])],
            )


# ---------------------------------------------------------------------------
# Tokens


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    """Tokens are issued through ``POST /api/auth/token``; here they can only be revoked."""

    scope_path = "user__division__path"
    list_display = ["prefix", "user", "created_at", "last_used_at", "expires_at"]
    search_fields = ["prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at", "expires_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def _obj_path(self, obj: Model) -> str:
        division = getattr(getattr(obj, "user", None), "division", None)
        return str(division.path) if division else ""

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        actions.revoke_tokens(acting_user(request), [obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actions.revoke_tokens(acting_user(request), list(queryset.values_list("pk", flat=True)))
