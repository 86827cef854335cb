"""Shared fixtures. Test data is built through actions, as users would build it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from case_support import City, square
from yiwang.geo import actions as geo_actions
from yiwang.org import actions as org_actions
from yiwang.org.models import Department, Division, User

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def require_service(available: bool, what: str) -> None:
    """Skip locally, but fail under CI=true, when a needed service is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} is not available")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: run in parallel (make test uses pytest-xdist), the longest test
    then overlaps the many short ones instead of running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Fixtures create many staff accounts; real PBKDF2 would dominate the suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Rate-limit counters live in the cache: each test gets an empty one of the default kind
    (files), so parallel workers and earlier tests never share counts."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path_factory.mktemp("cache")),
        }
    }


@pytest.fixture(autouse=True)
def _fresh_grid_index() -> None:
    """Rolled-back test transactions also roll back the "grids" generation counter, so the
    in-process grid index could otherwise match a generation built from another test's grids."""
    from yiwang.geo import index

    index.invalidate()


@pytest.fixture
def root(db: Any) -> User:
    """The installation's first administrator (created like `createsuperuser`)."""
    return User.objects.create_superuser("root", "root@example.invalid", "root-pass-123")


@pytest.fixture
def futian(db: Any) -> Division:
    return Division.objects.get(code="440304")


@pytest.fixture
def org_tree(root: User, futian: Division) -> dict[str, Division]:
    """Two streets of 福田区 with one community each."""
    make = org_actions.create_division
    return {
        "street_a": make(
            root, code="440304001", name="南园街道", level="street", parent_code="440304"
        ),
        "street_b": make(
            root, code="440304002", name="园岭街道", level="street", parent_code="440304"
        ),
        "community_a": make(
            root, code="440304001001", name="南华社区", level="community", parent_code="440304001"
        ),
        "community_b": make(
            root, code="440304002001", name="园东社区", level="community", parent_code="440304002"
        ),
    }


@pytest.fixture
def make_user(root: User) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: str, division_code: str, department: Department | None = None) -> User:
        return org_actions.create_staff(
            root,
            username=f"{role}{next(counter)}",
            password="test-pass-123",
            role=role,
            division_code=division_code,
            department_id=department.pk if department else None,
        )

    return make


@pytest.fixture(scope="session")
def chromium_path() -> str:
    require_service(os.path.exists(CHROMIUM), "Debian chromium (/usr/bin/chromium)")
    return CHROMIUM


@pytest.fixture
def browser_page(chromium_path: str, live_server: Any) -> Iterator[Any]:
    """A Playwright page in the system Chromium (never a downloaded browser)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def city(root: User, org_tree: dict[str, Division], make_user: Any) -> City:
    geo_actions.create_grid(
        root,
        code="440304001001001",
        name="南华一号网格",
        community_code="440304001001",
        geometry=square(114.050, 22.540),
    )
    geo_actions.create_grid(
        root,
        code="440304002001001",
        name="园东一号网格",
        community_code="440304002001",
        geometry=square(114.060, 22.540),
    )
    municipal = org_actions.create_department(
        root, name="福田区市政设施管理中心", kind="professional", division_code="440304"
    )
    office_a = org_actions.create_department(
        root, name="南园街道办事处", kind="territorial", division_code="440304001"
    )
    users = {
        role: make_user(role, "440304")
        for role in ("operator", "shift_lead", "dispatcher", "leader")
    }
    users["inspector"] = make_user("inspector", "440304001")
    users["handler"] = make_user("handler", "440304", department=municipal)
    return City(
        root=root,
        municipal=municipal,
        office_a=office_a,
        users=users,
        inspector_b=make_user("inspector", "440304002"),
        handler_office_a=make_user("handler", "440304001", department=office_a),
    )
