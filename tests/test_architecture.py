"""The architecture's rules hold for the code, and each rule catches what it forbids.

A failure lists every violation as ``path:line: what is wrong``. The rules and the lists
later issues extend (consumer apps, the few allowed exceptions) are in
`architecture_rules.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from architecture_rules import (
    ALLOWED_WRITES,
    CONSUMER_APPS,
    ENGINE_MODULES,
    RULES,
    Module,
    Violation,
    check,
    dependency_direction,
    environment_reads,
    find_writes,
    load_modules,
    managers_in_views,
    module_from_source,
    module_size,
    orm_writes,
    report,
    views_imported_elsewhere,
)

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIR = REPO / "src" / "yiwang"
SOURCE = load_modules(PACKAGE_DIR, shown_from=REPO)
BY_PATH = {m.rel.as_posix(): m for m in SOURCE}


# Violations that another change of issue 6 removes, by rule and file. Each entry fails
# `test_each_pending_fix_is_still_pending` once its violation is gone: delete it then.
PENDING_FIXES: dict[str, dict[str, str]] = {}


# ---- the code obeys every rule ----------------------------------------------------------------


@pytest.mark.parametrize("rule", list(RULES))
def test_the_code_obeys(rule: str) -> None:
    assert SOURCE, f"no modules found under {PACKAGE_DIR}"
    pending = PENDING_FIXES.get(rule, {})
    violations = [v for v in check(RULES[rule], SOURCE) if v.path not in pending]
    assert not violations, f"{rule}:\n{report(violations)}"


@pytest.mark.parametrize(
    ("rule", "path"), [(rule, path) for rule, paths in PENDING_FIXES.items() for path in paths]
)
def test_each_pending_fix_is_still_pending(rule: str, path: str) -> None:
    violations = [v for v in check(RULES[rule], SOURCE) if v.path == path]
    assert violations, f"{path} obeys {rule} now: remove it from PENDING_FIXES"


def test_tests_and_benchmarks_are_small_modules_too() -> None:
    modules = load_modules(REPO / "tests", shown_from=REPO) + load_modules(
        REPO / "bench", shown_from=REPO
    )
    violations = check(module_size, modules)
    assert not violations, report(violations)


@pytest.mark.parametrize("path", sorted(ALLOWED_WRITES))
def test_each_allowed_write_is_still_needed(path: str) -> None:
    """An exception that no longer matches a write is removed, not left to excuse the next."""
    module = BY_PATH.get(path)
    assert module is not None, f"ALLOWED_WRITES names {path}, which does not exist"
    assert find_writes(module), f"{path} no longer writes: remove it from ALLOWED_WRITES"


@pytest.mark.parametrize("path", ENGINE_MODULES)
def test_the_engine_modules_exist(path: str) -> None:
    assert path in BY_PATH, f"ENGINE_MODULES names {path}, which does not exist"


# ---- each rule catches a violation --------------------------------------------------------------


def _found(violations: list[Violation]) -> list[tuple[str, int]]:
    return [(v.path, v.line) for v in violations]


WRITES = """\
from django.db import connection
from yiwang.cases.models import Case

def act(case, form, qs, rows):
    case.save()
    case.delete()
    Case.objects.create(title="x")
    Case.objects.bulk_create(rows)
    Case.objects.filter(pk=1).update(title="y")
    qs.update(**{"title": "z"})
    Case.objects.get_or_create(number="1")
    Case.objects.update_or_create(number="1", defaults={})
    Case.objects.bulk_update(rows, ["title"])
    form.save()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET title = %s", ["x"])
        cursor.execute(f"delete from cases_case where id = {case.pk}")

async def act_async(case):
    await case.asave()
"""


@pytest.mark.parametrize(
    "rel", ["cases/views/detail.py", "org/admin.py", "core/scope.py", "cases/queries.py"]
)
def test_orm_writes_are_found_outside_actions(rel: str) -> None:
    violations = orm_writes(module_from_source(rel, WRITES))
    assert _found(violations) == [(f"yiwang/{rel}", line) for line in [*range(5, 15), 16, 17, 20]]
    assert "call an action instead" in violations[0].message


@pytest.mark.parametrize(
    "rel",
    [
        "org/actions.py",
        "cases/actions/reporting.py",
        "cases/engine.py",
        "geo/migrations/0003_seed.py",
        "org/loader.py",
        "demo/city.py",
        *ALLOWED_WRITES,
    ],
)
def test_orm_writes_are_allowed_where_the_rules_say(rel: str) -> None:
    assert orm_writes(module_from_source(rel, WRITES)) == []


NOT_WRITES = """\
import hashlib
from typing import Any

def view(request, items, book, buffer, image, cache):
    context: dict[str, Any] = {"a": 1}
    context.update(b=2)
    seen = set()
    seen.update(items)
    merged = dict(a=1)
    merged.update(c=3)
    digest = hashlib.sha256()
    digest.update(b"abc")
    book.save(buffer)
    image.save(buffer, "PNG")
    cache.delete("key")
    body = _item()
    body.update(d=4)
    items.sort()
    return {**context}

def _item() -> dict[str, Any]:
    return {}

def with_options(**options):
    options.update(e=5)

def read(cursor):
    cursor.execute("SELECT 1")
"""


def test_dict_set_hash_file_and_cache_calls_are_not_writes() -> None:
    assert find_writes(module_from_source("cases/views/search.py", NOT_WRITES)) == []


def test_managers_are_found_in_views_and_api_modules() -> None:
    source = """\
from django.shortcuts import get_object_or_404
from yiwang.cases.models import Case, CasePhoto

def page(request, number):
    case = get_object_or_404(Case, number=number)
    photos = CasePhoto.objects.filter(case=case)
    first = Case._default_manager.first()
    return case, photos, first
"""
    for rel in ("cases/views/detail.py", "catalog/views.py", "cases/api.py", "api.py"):
        found = _found(managers_in_views(module_from_source(rel, source)))
        assert found == [(f"yiwang/{rel}", 5), (f"yiwang/{rel}", 6), (f"yiwang/{rel}", 7)], rel
    # Queries, actions and forms are where managers belong.
    for rel in ("cases/queries.py", "cases/actions/reporting.py", "cases/forms.py"):
        assert managers_in_views(module_from_source(rel, source)) == []


def test_environment_reads_are_found_outside_settings() -> None:
    source = """\
import os
from os import getenv

def configure():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    debug = os.environ.get("YIWANG_DEBUG")
    key = os.getenv("YIWANG_SECRET_KEY")
    os.environ.setdefault("YIWANG_TILE_URL", "")
    return debug, key, getenv
"""
    found = _found(environment_reads(module_from_source("org/tasks.py", source)))
    assert found == [("yiwang/org/tasks.py", n) for n in (2, 6, 7, 8)]
    assert environment_reads(module_from_source("settings.py", source)) == []


def test_modules_over_800_lines_are_found() -> None:
    long = "x = 1\n" * 801
    violations = module_size(module_from_source("catalog/actions.py", long))
    assert _found(violations) == [("yiwang/catalog/actions.py", 801)]
    assert "801 lines" in violations[0].message
    assert module_size(module_from_source("catalog/actions.py", "x = 1\n" * 800)) == []
    # Generated migrations are not split by hand.
    assert module_size(module_from_source("cases/migrations/0001_initial.py", long)) == []


IMPORTS_OF_CASES = """\
from __future__ import annotations

from typing import TYPE_CHECKING

import yiwang.org.models
from yiwang.core import audit

if TYPE_CHECKING:
    from yiwang.cases.models import Case


def late():
    from yiwang.cases import queries
    from ..cases.engine import apply_transition
    return queries, apply_transition


def by_name():
    from importlib import import_module
    from django.apps import apps
    from django.db import models
    import_module("yiwang.cases.api")
    apps.get_model("cases", "Case")
    return models.ForeignKey("cases.Case", on_delete=models.CASCADE)
"""


@pytest.mark.parametrize("app", ["core", "org", "geo", "catalog"])
def test_apps_below_the_case_loop_may_not_import_it(app: str) -> None:
    rel = f"{app}/helpers.py"
    violations = dependency_direction(module_from_source(rel, IMPORTS_OF_CASES))
    cases_lines = [v.line for v in violations if "yiwang.cases" in v.message]
    assert cases_lines == [9, 13, 14, 22, 23, 24], report(violations)
    assert all(v.path == f"yiwang/{rel}" for v in violations)


def test_core_imports_no_domain_app() -> None:
    source = "from yiwang.org.models import User\nfrom yiwang.demo import city\nimport yiwang.web\n"
    found = _found(dependency_direction(module_from_source("core/management/x.py", source)))
    assert found == [("yiwang/core/management/x.py", n) for n in (1, 2, 3)]


def test_org_sits_below_geo_and_catalog() -> None:
    source = "from yiwang.geo import locate\nfrom yiwang.catalog.models import Kind\n"
    found = _found(dependency_direction(module_from_source("org/actions.py", source)))
    assert found == [("yiwang/org/actions.py", 1), ("yiwang/org/actions.py", 2)]


@pytest.mark.parametrize("consumer", CONSUMER_APPS)
def test_the_case_loop_never_imports_a_consumer(consumer: str) -> None:
    source = f"def f():\n    from yiwang.{consumer} import actions\n    return actions\n"
    found = _found(dependency_direction(module_from_source("cases/engine.py", source)))
    assert found == [("yiwang/cases/engine.py", 2)]
    # ... while the consumer may use the case loop.
    consumer_module = module_from_source(f"{consumer}/actions.py", IMPORTS_OF_CASES)
    assert dependency_direction(consumer_module) == []


def test_consumers_use_each_other_only_through_actions_and_queries() -> None:
    source = """\
from yiwang.exchange import actions, queries
from yiwang.exchange.actions.outbox import send
from yiwang.exchange.models import Envelope
from yiwang.exchange import signing
import yiwang.monitor.tasks
"""
    found = _found(dependency_direction(module_from_source("intake/channels.py", source)))
    assert found == [("yiwang/intake/channels.py", n) for n in (3, 4, 5)]


def test_rules_report_files_by_their_path_in_a_tree(tmp_path: Path) -> None:
    """The rules run on files as well as on strings: the failure names the file and line."""
    package = tmp_path / "src" / "yiwang"
    views = package / "cases" / "views"
    views.mkdir(parents=True)
    (views / "page.py").write_text(
        "import os\n\n\ndef page(request, case):\n"
        "    case.save()\n    return Case.objects.all(), os.getenv('X')\n",
        encoding="utf-8",
    )
    (package / "org").mkdir()
    (package / "org" / "models.py").write_text("from yiwang.cases.models import Case\n")
    modules: list[Module] = load_modules(package, shown_from=tmp_path)
    lines = sorted(str(v) for rule in RULES.values() for v in check(rule, modules))
    assert [line.split(": ")[0] for line in lines] == [
        "src/yiwang/cases/views/page.py:5",
        "src/yiwang/cases/views/page.py:6",
        "src/yiwang/cases/views/page.py:6",
        "src/yiwang/org/models.py:1",
    ]


def test_workflow_steps_are_functions_bound_when_the_table_loads() -> None:
    """A guard or effect named by a string would fail only when a user first made the move."""
    from yiwang.cases import steps
    from yiwang.cases.workflow import TRANSITIONS

    used = [s for t in TRANSITIONS.values() for s in (*t.guards, *t.effects)]
    assert used, "the transition table names no guards or effects"
    not_bound = [s for s in used if not callable(s) or getattr(steps, s.__name__, None) is not s]
    assert not not_bound, f"steps not bound to functions of cases.steps: {not_bound}"


def test_only_url_configurations_import_another_apps_views() -> None:
    source = """\
from yiwang.geo.views import STATE_COLORS
from yiwang.geo import views as geo_views
from yiwang.catalog.views import component_list
from yiwang.web.lists import paginate
"""
    found = _found(views_imported_elsewhere(module_from_source("catalog/views.py", source)))
    assert found == [("yiwang/catalog/views.py", 1), ("yiwang/catalog/views.py", 2)]
    assert views_imported_elsewhere(module_from_source("web/urls.py", source)) == []
