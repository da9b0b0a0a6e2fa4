"""Imports only point down (DESIGN.md "Layers", STYLE.md "Shape").

* The adapters (`ticketcore_flask`, `ticketcore_django`) translate; they never reach into
  `ticketcore.models`, `ticketcore.services` or SQLAlchemy.
* The core (`ticketcore`) never imports a web framework or an adapter.
* The domain (`ticketcore.models`, `workflow`, `permissions`, `customfields`, `trackid`) never
  imports the use cases (`ticketcore.services`) or the portal (`ticketcore.web`) built on it.

Modules are read with `ast`, never imported: no framework has to be installed, nothing runs,
and a module that would fail to import is still checked. Every import counts, including those
inside functions and `if TYPE_CHECKING:` blocks, and `importlib.import_module("...")` /
`__import__("...")` calls with a literal name.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
ADAPTERS = ("ticketcore_flask", "ticketcore_django")
DOMAIN_MODULES = (
    "ticketcore.workflow",
    "ticketcore.permissions",
    "ticketcore.customfields",
    "ticketcore.trackid",
)


def is_adapter(module: str) -> bool:
    return module.split(".")[0] in ADAPTERS


def is_core(module: str) -> bool:
    return module.split(".")[0] == "ticketcore"


def is_domain(module: str) -> bool:
    return module in DOMAIN_MODULES or _within(module, "ticketcore.models")


@dataclass(frozen=True)
class Rule:
    name: str
    applies_to: Callable[[str], bool]
    # A module and everything inside it; "flask_*" means every top-level name starting "flask_".
    forbidden: tuple[str, ...]


RULES = (
    Rule(
        "adapters only translate: no models, services or SQLAlchemy",
        is_adapter,
        ("ticketcore.models", "ticketcore.services", "sqlalchemy"),
    ),
    Rule(
        "the core is framework-agnostic",
        is_core,
        ("flask", "flask_*", "django", "django_*", *ADAPTERS),
    ),
    Rule(
        "the domain imports nothing above it",
        is_domain,
        ("ticketcore.services", "ticketcore.web"),
    ),
)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _matches(module: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return module.split(".")[0].startswith(pattern[:-1])
    return _within(module, pattern)


# ---------------------------------------------------------------- the checker


def imported_modules(
    source: str, module: str, is_package: bool = False
) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in `source`, the source of `module`.

    `from a import b` yields both `a` and `a.b`, since `b` may be a submodule
    (`from ticketcore import services`). Relative imports are resolved against `module`.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            name = _literal_module_name(node)
            if name is not None:
                yield node.lineno, name


def _literal_module_name(call: ast.Call) -> str | None:
    """The absolute module name given as a literal to `import_module(...)`, else None."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return None if first.value.startswith(".") else first.value
    return None


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """One message per line of `source` and rule it breaks (rules applying to `module`)."""
    found: dict[tuple[int, str], str] = {}
    rules = [rule for rule in RULES if rule.applies_to(module)]
    for line, imported in imported_modules(source, module, is_package):
        for rule in rules:
            if (line, rule.name) not in found and any(
                _matches(imported, pattern) for pattern in rule.forbidden
            ):
                found[line, rule.name] = f"{module}:{line} imports {imported} ({rule.name})"
    return list(found.values())


# ---------------------------------------------------------------- the code base


@dataclass(frozen=True)
class SourceModule:
    name: str
    path: Path
    is_package: bool


def source_modules(*packages: str) -> list[SourceModule]:
    """Every `.py` file under `src/<package>/`, with its dotted module name."""
    modules = []
    for package in packages:
        for path in sorted((SRC / package).rglob("*.py")):
            parts = list(path.relative_to(SRC).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            modules.append(SourceModule(".".join(parts), path, is_package))
    return modules


def test_the_scan_sees_the_code_base() -> None:
    """Guards the guard: a wrong path would make every rule pass without checking anything.

    (The adapter packages may still be empty, or absent from a fresh clone.)
    """
    names = {m.name for m in source_modules("ticketcore", *ADAPTERS)}
    expected = {"ticketcore", "ticketcore.models", "ticketcore.models.tickets"}
    expected |= {"ticketcore.services.tickets", *DOMAIN_MODULES}
    assert expected <= names, sorted(expected - names)
    assert len([n for n in names if is_domain(n)]) >= len(DOMAIN_MODULES) + 2


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_no_module_breaks_the_rule(rule: Rule) -> None:
    found = []
    for module in source_modules("ticketcore", *ADAPTERS):
        if rule.applies_to(module.name):
            source = module.path.read_text(encoding="utf-8")
            found += [
                f"{message}  [{module.path.relative_to(SRC.parent)}]"
                for message in violations(source, module.name, module.is_package)
                if message.endswith(f"({rule.name})")
            ]
    assert not found, "imports must point down:\n" + "\n".join(found)


# ---------------------------------------------------------------- the checker itself

CAUGHT = [
    ("ticketcore_flask.views", False, "import sqlalchemy", "sqlalchemy"),
    ("ticketcore_flask.views", False, "from sqlalchemy.orm import Session", "sqlalchemy.orm"),
    ("ticketcore_django.views", False, "from ticketcore.models import Ticket", "ticketcore.models"),
    ("ticketcore_django.views", False, "from ticketcore import services", "ticketcore.services"),
    ("ticketcore_django.views", False, "import ticketcore.services.tickets as t", "ticketcore.services.tickets"),
    ("ticketcore_flask", True, "def f():\n    from ticketcore.services import base", "ticketcore.services"),
    ("ticketcore_flask.ext", False, "if TYPE_CHECKING:\n    from ticketcore.models import User", "ticketcore.models"),
    ("ticketcore_flask.ext", False, "importlib.import_module('sqlalchemy.orm')", "sqlalchemy.orm"),
    ("ticketcore.web.views", False, "import flask", "flask"),
    ("ticketcore.cli", False, "from django.conf import settings", "django.conf"),
    ("ticketcore.helpdesk", False, "import flask_login", "flask_login"),
    ("ticketcore.web", True, "x = __import__('django')", "django"),
    ("ticketcore.services.tickets", False, "from ticketcore_flask import TicketCore", "ticketcore_flask"),
    ("ticketcore.models.tickets", False, "from ..services.tickets import TicketService", "ticketcore.services.tickets"),
    ("ticketcore.models", True, "from ..services import base", "ticketcore.services"),
    ("ticketcore.workflow", False, "from . import services", "ticketcore.services"),
    ("ticketcore.permissions", False, "from ticketcore.web import views", "ticketcore.web"),
    ("ticketcore.trackid", False, "def f():\n    import ticketcore.web.router", "ticketcore.web.router"),
]  # fmt: skip

ALLOWED = [
    ("ticketcore_flask.ext", False, "import flask\nfrom ticketcore import Helpdesk, NotFound"),
    ("ticketcore_flask.ext", False, "from ticketcore.web import http\nfrom .models import X"),
    ("ticketcore_django.apps", False, "from django.apps import AppConfig\nimport sqlalchemy_utils"),
    ("ticketcore.services.tickets", False, "from sqlalchemy import select\nfrom ..models import T"),
    ("ticketcore.services", True, "from .tickets import TicketService"),
    ("ticketcore.models.tickets", False, "from ..workflow import Status\nfrom .base import Base"),
    ("ticketcore.permissions", False, "from .models import Ticket\nfrom .settings import Settings"),
    ("ticketcore.workflow", False, "from .service_hours import X"),
    ("ticketcore.helpdesk", False, "from .services.tickets import TicketService"),
]  # fmt: skip


@pytest.mark.parametrize(("module", "is_package", "source", "imported"), CAUGHT)
def test_the_checker_catches(module: str, is_package: bool, source: str, imported: str) -> None:
    found = violations(source, module, is_package)
    assert found, f"{module} importing {imported} went unnoticed"
    assert any(f" imports {imported} (" in message for message in found), found


@pytest.mark.parametrize(("module", "is_package", "source"), ALLOWED)
def test_the_checker_allows(module: str, is_package: bool, source: str) -> None:
    assert violations(source, module, is_package) == []
