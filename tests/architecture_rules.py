"""The architecture's rules (ARCHITECTURE.md), checked on the code's syntax tree.

Each rule reads a parsed module and returns its violations, each naming the file and the
line. `tests/test_architecture.py` runs every rule over `src/yiwang` and feeds each one
small violating sources to prove it would catch them. Later issues extend the lists below
(a new consumer app goes into CONSUMER_APPS) rather than adding exceptions in the rules.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

PACKAGE = "yiwang"
MAX_MODULE_LINES = 800

# ---- the apps and which way they may depend -------------------------------------------------

CORE = "core"
REFERENCE_APPS = ("org", "geo", "catalog")
CASES = "cases"
# Apps built on the case loop: they create cases through its actions and read its
# timeline. A new one goes here, once; every dependency rule below follows.
CONSUMER_APPS = ("intake", "evaluation", "exchange", "monitor", "reports", "scenes")
DOMAIN_APPS = (*REFERENCE_APPS, CASES, *CONSUMER_APPS)
# The demo loader may import everything; nothing but the project shell imports it.
DEMO = "demo"
# The shell and shared UI pieces: any app may use it; core stays below it.
WEB = "web"
# What one consumer may use of another (ARCHITECTURE.md: "a consumer may call another's
# actions or queries"); everything else of a consumer is its own business.
CONSUMER_PUBLIC = ("actions", "queries")

# app -> apps it must never import, each with the reason shown in the failure.
FORBIDDEN_IMPORTS: dict[str, dict[str, str]] = {
    CORE: {
        app: "core is shared machinery and knows no domain app" for app in (*DOMAIN_APPS, DEMO, WEB)
    },
    "org": {
        app: "org sits below geo, catalog and the case loop"
        for app in ("geo", "catalog", CASES, *CONSUMER_APPS, DEMO)
    },
    **{
        app: {
            other: f"{app} is reference data below the case loop"
            for other in (CASES, *CONSUMER_APPS, DEMO)
        }
        for app in ("geo", "catalog")
    },
    CASES: {
        app: "the case loop never imports an app built on it" for app in (*CONSUMER_APPS, DEMO)
    },
    WEB: {DEMO: "only the project shell starts the demo loader"},
    **{app: {DEMO: "only the project shell starts the demo loader"} for app in CONSUMER_APPS},
}

# ---- where the ORM may write ----------------------------------------------------------------

# The case engine applies every transition in one transaction; its steps run inside it.
ENGINE_MODULES = ("cases/engine.py", "cases/steps.py")
# Modules that are not actions, the engine, a migration or a loader but write on purpose.
# Each entry says why; an entry that no longer matches a write fails the test (stale).
ALLOWED_WRITES: dict[str, str] = {
    "core/audit.py": "the audit row itself, written by actions inside their transaction",
    "core/generations.py": "cache generation counters, bumped by actions inside their transaction",
    "cases/numbers.py": "the daily case-number counter, advanced by the reporting action "
    "inside its transaction",
    "cases/defaults.py": "seeds empty reference tables from the data migration (historical "
    "models, no acting user)",
    "intake/public_defaults.py": "seeds the empty list of what the public may report from the "
    "data migration and after a flush (historical models, no acting user)",
    "intake/opendata_defaults.py": "re-seeds the empty 311 category mapping after a flush "
    "(historical models, no acting user)",
}

# Method names that write whatever they are called on (Django's ORM, sync and async).
ALWAYS_WRITES = {
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "acreate",
    "abulk_create",
    "abulk_update",
    "aget_or_create",
    "aupdate_or_create",
}
# Model.save()/delete() and QuerySet.delete() take no positional argument (Workbook.save(f),
# cache.delete(key) and Image.save(fp) do), forms' save() neither: forms must not save.
WRITES_WITHOUT_POSITIONAL = {"save", "asave", "delete", "adelete"}
# QuerySet.update(**fields) takes keywords only (dict.update(m), set.update(it) and
# hash.update(b) take a positional argument); dict.update(k=v) on a known dict is allowed.
KEYWORD_WRITES = {"update", "aupdate"}
SQL_WRITE = re.compile(
    r"^\s*(insert|update|delete|replace|merge|truncate|create|drop|alter)\b", re.IGNORECASE
)

# ---- the environment ------------------------------------------------------------------------

ENV_ATTRIBUTES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
SETTINGS_MODULE = "settings.py"

# ---- managers -------------------------------------------------------------------------------

MANAGER_ATTRIBUTES = {"objects", "_default_manager", "_base_manager"}
MANAGER_SHORTCUTS = {"get_object_or_404", "get_list_or_404", "aget_object_or_404"}


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Module:
    """One source file: `rel` is its path inside the package (``cases/views/detail.py``)."""

    rel: PurePosixPath
    source: str
    shown: str  # the path shown in failures

    @cached_property
    def tree(self) -> ast.Module:
        return ast.parse(self.source, filename=self.shown)

    @property
    def app(self) -> str:
        """The app a module belongs to; "" for the project shell (settings, urls, cli …)."""
        return self.rel.parts[0] if len(self.rel.parts) > 1 else ""

    @property
    def dotted(self) -> str:
        parts = list(self.rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join([PACKAGE, *parts])

    @property
    def is_package(self) -> bool:
        return self.rel.name == "__init__.py"

    def violation(self, node: ast.AST | int, message: str) -> Violation:
        line = node if isinstance(node, int) else getattr(node, "lineno", 1)
        return Violation(self.shown, line, message)


def load_modules(root: Path, *, shown_from: Path | None = None) -> list[Module]:
    """Every ``.py`` file under ``root`` (the package directory)."""
    base = shown_from or root.parent
    modules = []
    for path in sorted(root.rglob("*.py")):
        rel = PurePosixPath(path.relative_to(root).as_posix())
        shown = path.relative_to(base).as_posix()
        modules.append(Module(rel, path.read_text(encoding="utf-8"), shown))
    return modules


def module_from_source(rel: str, source: str) -> Module:
    """A module that exists only as text (for proving a rule on a synthetic violation)."""
    return Module(PurePosixPath(rel), source, f"{PACKAGE}/{rel}")


def _is_migration(module: Module) -> bool:
    return "migrations" in module.rel.parts


# ---- rule: ORM writes only in actions, the engine, migrations and loaders ---------------------


def write_exemption(module: Module) -> str | None:
    """Why ``module`` may write, or None."""
    rel, parts = module.rel.as_posix(), module.rel.parts
    if _is_migration(module):
        return "migration"
    if module.rel.name == "actions.py" or "actions" in parts[:-1]:
        return "actions"
    if rel in ENGINE_MODULES:
        return "case engine"
    if module.rel.name == "loader.py" or module.app == DEMO:
        return "loader"
    return ALLOWED_WRITES.get(rel)


def _mentions_dict(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    text = ast.unparse(annotation)
    return bool(re.search(r"\b(dict|Dict|Mapping|MutableMapping|defaultdict|Counter)\b", text))


def _builds_dict(value: ast.expr | None, dict_functions: set[str]) -> bool:
    if isinstance(value, ast.Dict | ast.DictComp):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name in {"dict", "defaultdict", "OrderedDict", "Counter"} | dict_functions
    return False


def _dict_names(scope: ast.AST, dict_functions: set[str]) -> set[str]:
    """Local names that hold a dict: bound to a dict display or call, or annotated as one."""
    names: set[str] = set()
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        args = scope.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if _mentions_dict(arg.annotation):
                names.add(arg.arg)
        if args.kwarg is not None:
            names.add(args.kwarg.arg)
    for node in _walk_own(scope):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if _mentions_dict(node.annotation) or _builds_dict(node.value, dict_functions):
                names.add(node.target.id)
        elif isinstance(node, ast.Assign) and _builds_dict(node.value, dict_functions):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _walk_own(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a scope, without those of functions and classes defined inside it."""
    for child in ast.iter_child_nodes(scope):
        yield child
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from _walk_own(child)


def _functions_returning_dicts(tree: ast.Module) -> set[str]:
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _mentions_dict(node.returns)
    }


def _scoped_calls(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.Call]]:
    """Every call with its innermost enclosing function (or the module)."""

    def walk(node: ast.AST, scope: ast.AST) -> Iterator[tuple[ast.AST, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else scope
            if isinstance(child, ast.Call):
                yield scope, child
            yield from walk(child, inner)

    yield from walk(tree, tree)


def _sql_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def orm_writes(module: Module) -> list[Violation]:
    """ORM or raw-SQL writes, found anywhere but the places that may write."""
    if write_exemption(module) is not None:
        return []
    return find_writes(module)


def find_writes(module: Module) -> list[Violation]:
    tree = module.tree
    dict_functions = _functions_returning_dicts(tree)
    dicts_in: dict[int, set[str]] = {}
    found = []
    for scope, call in _scoped_calls(tree):
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        method, positional = func.attr, bool(call.args)
        where = "writes through the ORM"
        if method in ALWAYS_WRITES or (method in WRITES_WITHOUT_POSITIONAL and not positional):
            pass
        elif method in KEYWORD_WRITES and call.keywords and not positional:
            if id(scope) not in dicts_in:
                dicts_in[id(scope)] = _dict_names(scope, dict_functions) | _dict_names(
                    tree, dict_functions
                )
            receiver = func.value
            if isinstance(receiver, ast.Name) and receiver.id in dicts_in[id(scope)]:
                continue
        elif method in ("execute", "executemany") and call.args:
            sql = _sql_text(call.args[0])
            if sql is None or not SQL_WRITE.match(sql):
                continue
            where = "writes with raw SQL"
        else:
            continue
        found.append(
            module.violation(
                call,
                f"{ast.unparse(func)}(…) {where} outside an actions module, the case engine, "
                "a migration or a loader: call an action instead",
            )
        )
    return sorted(found)


# ---- rule: no model managers in views and API modules -----------------------------------------


def is_view_or_api(module: Module) -> bool:
    name, dirs = module.rel.name, module.rel.parts[:-1]
    return name in ("views.py", "api.py") or "views" in dirs or "api" in dirs


def managers_in_views(module: Module) -> list[Violation]:
    """Views and API handlers read through ``queries.*(user, …)``, which applies scope."""
    if not is_view_or_api(module):
        return []
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGER_ATTRIBUTES:
            found.append(
                module.violation(
                    node,
                    f"{ast.unparse(node)} in a view or API module: read through "
                    "queries.*(user, …) so the user's scope applies",
                )
            )
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in MANAGER_SHORTCUTS:
                found.append(
                    module.violation(
                        node,
                        f"{name}(…) reads a model's manager unscoped: read through "
                        "queries.*(user, …)",
                    )
                )
    return sorted(found)


# ---- rule: the environment is read in settings.py only ----------------------------------------


def _names_settings_module(call: ast.Call) -> bool:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", …)``: how an entry point (cli, wsgi,
    asgi) tells Django where the settings are, before any setting can be read."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "setdefault"
        and bool(call.args)
        and isinstance(call.args[0], ast.Constant)
        and call.args[0].value == "DJANGO_SETTINGS_MODULE"
    )


def environment_reads(module: Module) -> list[Violation]:
    if module.rel.as_posix() == SETTINGS_MODULE:
        return []
    allowed: set[int] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and _names_settings_module(node):
            allowed.add(id(node.func.value))  # type: ignore[attr-defined]
    found = []
    message = "reads the environment: settings.py reads it once; use django.conf.settings"
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENV_ATTRIBUTES
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and id(node) not in allowed
        ):
            found.append(module.violation(node, f"{ast.unparse(node)} {message}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ENV_ATTRIBUTES:
                    found.append(module.violation(node, f"from os import {alias.name} {message}"))
    return sorted(found)


# ---- rule: small modules --------------------------------------------------------------------


def module_size(module: Module) -> list[Violation]:
    lines = len(module.source.splitlines())
    if lines <= MAX_MODULE_LINES or _is_migration(module):
        return []
    return [
        module.violation(
            MAX_MODULE_LINES + 1,
            f"module has {lines} lines (limit {MAX_MODULE_LINES}): split it by responsibility",
        )
    ]


# ---- rule: direction of dependencies --------------------------------------------------------


@dataclass(frozen=True)
class Import:
    target: str  # dotted name as far as the source spells it: yiwang.cases.models.Case
    line: int


def _resolve_relative(module: Module, level: int, name: str | None) -> str:
    package = module.dotted.split(".")
    if not module.is_package:
        package = package[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, name] if name else base)


def imports_of(module: Module) -> list[Import]:
    """Every import, at the top or inside functions and TYPE_CHECKING blocks, plus the
    string forms Django and importlib accept (``import_module("yiwang.x")``,
    ``apps.get_model("cases", "Case")``, ``ForeignKey("cases.Case")``)."""
    found: list[Import] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (
                _resolve_relative(module, node.level, node.module)
                if node.level
                else node.module or ""
            )
            found += [Import(f"{base}.{alias.name}", node.lineno) for alias in node.names]
        elif isinstance(node, ast.Call):
            found += _string_imports(node)
    return sorted(found, key=lambda i: i.line)


RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


def _string_imports(call: ast.Call) -> list[Import]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    args = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    for keyword in call.keywords:
        if keyword.arg == "to" and isinstance(keyword.value, ast.Constant):
            args.insert(0, str(keyword.value.value))
    if not args:
        return []
    if name in ("import_module", "__import__"):
        return [Import(args[0], call.lineno)]
    if name == "get_model" or name in RELATION_FIELDS:
        label = args[0].split(".")[0]
        if label and label not in ("self",):
            return [Import(f"{PACKAGE}.{label}.models", call.lineno)]
    return []


def _app_of(target: str) -> tuple[str, list[str]]:
    parts = target.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return "", []
    return parts[1], parts[2:]


def dependency_direction(module: Module) -> list[Violation]:
    own = module.app
    if not own or _is_migration(module):
        return []
    forbidden = FORBIDDEN_IMPORTS.get(own, {})
    found = []
    for imp in imports_of(module):
        app, rest = _app_of(imp.target)
        if not app or app == own:
            continue
        if app in forbidden:
            why = forbidden[app]
        elif {own, app} <= set(CONSUMER_APPS) and (rest or [""])[0] not in CONSUMER_PUBLIC:
            why = f"a consumer uses another only through its {' or '.join(CONSUMER_PUBLIC)}"
        else:
            continue
        found.append(module.violation(imp.line, f"imports {imp.target}: {why} ({own} → {app})"))
    return sorted(found)


# ---- rule: views are entry points, not libraries ----------------------------------------------


def views_imported_elsewhere(module: Module) -> list[Violation]:
    """Only URL configurations import another app's views; what views share lives in
    ``web`` (UI pieces) or the app's queries."""
    if module.rel.name == "urls.py" or not module.app:
        return []
    found = []
    for imp in imports_of(module):
        app, rest = _app_of(imp.target)
        if app and app != module.app and "views" in rest:
            found.append(
                module.violation(
                    imp.line,
                    f"imports {imp.target}: another app's views are reached through URLs; "
                    "move what is shared to web/ or to queries",
                )
            )
    return sorted(found)


# ---- running the rules ----------------------------------------------------------------------

Rule = Callable[[Module], list[Violation]]
RULES: dict[str, Rule] = {
    "orm_writes": orm_writes,
    "managers_in_views": managers_in_views,
    "environment_reads": environment_reads,
    "module_size": module_size,
    "dependency_direction": dependency_direction,
    "views_imported_elsewhere": views_imported_elsewhere,
}


def check(rule: Rule, modules: Iterable[Module]) -> list[Violation]:
    return [v for module in modules for v in rule(module)]


def report(violations: Iterable[Violation]) -> str:
    return "\n".join(str(v) for v in violations)
