from typing import Any

import pytest

from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.org import actions, queries
from yiwang.org.models import Department, Division, User


def test_guangdong_is_loaded_once_with_21_cities(db: Any) -> None:
    assert Division.objects.filter(level="province").get().name == "广东省"
    assert Division.objects.filter(level="city").count() == 21
    # 东莞 and 中山 have no county level; their self-parented duplicates are not kept.
    assert not Division.objects.filter(parent__code="441900").exists()
    futian = Division.objects.get(code="440304")
    assert (futian.name, futian.parent.name, futian.path) == (
        "福田区",
        "深圳市",
        "440000/440300/440304/",
    )


def test_streets_and_communities_hang_under_the_right_levels(root: User, futian: Division) -> None:
    street = actions.create_division(
        root, code="440304001", name="南园街道", level="street", parent_code="440304"
    )
    community = actions.create_division(
        root, code="440304001001", name="南华社区", level="community", parent_code="440304001"
    )
    assert community.path == "440000/440300/440304/440304001/440304001001/"
    assert street.contains(community) and not community.contains(street)
    with pytest.raises(InvalidInput) as exc:
        actions.create_division(
            root, code="440304001002", name="X", level="community", parent_code="440304"
        )
    assert exc.value.code == "division_code_format" or exc.value.field == "parent_code"
    with pytest.raises(InvalidInput) as dup:
        actions.create_division(
            root, code="440304001", name="重复", level="street", parent_code="440304"
        )
    assert dup.value.code == "duplicate_code"
    assert AuditEntry.objects.filter(action="org.create_division").count() == 2


def test_a_street_under_a_city_with_districts_is_refused(root: User) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.create_division(
            root, code="440300001", name="错误街道", level="street", parent_code="440300"
        )
    assert exc.value.field == "parent_code"


def test_dongguan_streets_hang_directly_under_the_city(root: User) -> None:
    street = actions.create_division(
        root, code="441900003", name="东城街道", level="street", parent_code="441900"
    )
    assert street.parent.code == "441900"


def test_only_administrators_create_organisation(make_user: Any, org_tree: Any) -> None:
    inspector = make_user("inspector", "440304001")
    with pytest.raises(PermissionDenied):
        actions.create_division(
            inspector, code="440304001009", name="X", level="community", parent_code="440304001"
        )
    with pytest.raises(PermissionDenied):
        actions.create_department(
            inspector, name="市政", kind="professional", division_code="440304"
        )


def test_an_administrator_of_one_street_cannot_build_in_another(
    make_user: Any, org_tree: Any
) -> None:
    street_admin = make_user("admin", "440304001")
    actions.create_division(
        street_admin, code="440304001002", name="新社区", level="community", parent_code="440304001"
    )
    with pytest.raises(PermissionDenied) as exc:
        actions.create_division(
            street_admin,
            code="440304002002",
            name="越权",
            level="community",
            parent_code="440304002",
        )
    assert exc.value.code == "out_of_scope"


def test_department_validation(root: User, futian: Division) -> None:
    dept = actions.create_department(
        root,
        name="福田区市政所",
        kind="professional",
        division_code="440304",
        credit_code="914403001922038216",
    )
    assert dept.kind == Department.Kind.PROFESSIONAL
    with pytest.raises(InvalidInput) as bad:
        actions.create_department(
            root, name="坏代码", kind="other", division_code="440304", credit_code="123"
        )
    assert (bad.value.code, bad.value.field) == ("credit_code_length", "credit_code")
    with pytest.raises(InvalidInput) as dup:
        actions.create_department(
            root,
            name="另一个",
            kind="other",
            division_code="440304",
            credit_code="914403001922038216",
        )
    assert dup.value.code == "duplicate_credit_code"
    with pytest.raises(NotFound):
        actions.create_department(root, name="无区划", kind="other", division_code="999999")
    assert Department.objects.count() == 1


def test_handlers_need_a_department(root: User, org_tree: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.create_staff(
            root,
            username="h1",
            password="test-pass-123",
            role="handler",
            division_code="440304",
        )
    assert exc.value.field == "department_id"
    assert not User.objects.filter(username="h1").exists()


def test_scope_limits_what_staff_see(make_user: Any, org_tree: Any, root: User) -> None:
    dept_a = actions.create_department(
        root, name="南园街道办", kind="territorial", division_code="440304001"
    )
    dept_b = actions.create_department(
        root, name="园岭街道办", kind="territorial", division_code="440304002"
    )
    user_a = make_user("inspector", "440304001")
    colleague_a = make_user("inspector", "440304001001")
    user_b = make_user("inspector", "440304002")
    district_user = make_user("dispatcher", "440304")
    assert set(queries.divisions(user_a).values_list("code", flat=True)) == {
        "440304001",
        "440304001001",
    }
    assert list(queries.departments(user_a)) == [dept_a]
    # Exactly the staff of 南园街道 and below: themselves and the community's inspector;
    # neither the other street's staff nor the district's above them.
    assert {u.username for u in queries.staff(user_a)} == {
        user_a.username,
        colleague_a.username,
    }
    # The district sees both streets, their departments and everyone in it (root has no
    # division and stays out of every subtree).
    assert set(queries.departments(district_user)) == {dept_a, dept_b}
    assert {u.username for u in queries.staff(district_user)} == {
        user_a.username,
        colleague_a.username,
        user_b.username,
        district_user.username,
    }
    # An unbound, non-superuser account sees nothing at all.
    nobody = User.objects.create_user("nobody", password="x-pass-12345")
    assert queries.divisions(nobody).count() == 0
    assert not queries.staff(nobody).exists()
    assert not queries.departments(nobody).exists()
