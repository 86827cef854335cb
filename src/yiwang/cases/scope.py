"""Which cases a user may read: the division subtree, narrowed to a department for handlers.

Command-centre roles (受理员, 值班长, 派遣员), inspectors, leaders and administrators read
every case of their division subtree: they accept, register, dispatch, verify and
oversee cases wherever they lie in it. A handler (处置人员) works for one department and
reads only the cases dispatched to it, now or before (`CaseDepartment`, written by the
engine with every dispatch), so after a case is returned or sent elsewhere the first
department still has its history. A handler without a department reads nothing.

Every read of case data goes through `in_scope` (lists, search, counts, exports, detail,
timeline, photos) and every write checks `can_see`, so a case out of scope is "not found"
everywhere, never "forbidden" (which would tell that it exists).
"""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.cases.models import Case, CaseDepartment
from yiwang.core.scope import path_in_scope, scoped
from yiwang.org.models import User
from yiwang.org.roles import Role


def department_bound(user: User) -> bool:
    """True for users who read their department's cases only (handlers, not superusers)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and not user.is_superuser
        and user.role == Role.HANDLER
    )


def in_division(qs: QuerySet[Case], user: User) -> QuerySet[Case]:
    """The division-subtree rule alone (for a department's current cases, see `worklist`)."""
    return scoped(qs, user, "division_path")


def in_scope(qs: QuerySet[Case], user: User) -> QuerySet[Case]:
    qs = in_division(qs, user)
    if not department_bound(user):
        return qs
    if not user.department_id:
        return qs.none()
    # IN (subquery) rather than a correlated EXISTS: SQLite builds the id set once, and
    # PostgreSQL plans both as the same semi-join over the (department, case) index.
    history = CaseDepartment.objects.filter(department_id=user.department_id).values("case_id")
    return qs.filter(pk__in=history)


def can_see(user: User, case: Case) -> bool:
    """The same rule for one case already loaded (the write paths, before any refusal)."""
    if not path_in_scope(user, case.division_path):
        return False
    if not department_bound(user):
        return True
    if not user.department_id:
        return False
    if case.department_id == user.department_id:
        return True
    return CaseDepartment.objects.filter(case_id=case.pk, department_id=user.department_id).exists()
