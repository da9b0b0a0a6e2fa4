"""Docs that cannot rot: every setting and hook is documented as the code defines it, and the
quickstart runs.

* `docs/settings.md` has one section per `Settings` field and no other (a `### ` heading holding
  the field name in backticks), each quoting the field's description and giving its exact type,
  default, constraints and spellings.
* `docs/plugins/hooks.md` has one such section per hookspec and no other, each opening with a
  `python` block whose `def` has the hookspec's exact signature, and saying `firstresult`
  exactly when the hook is one.
* The `python` blocks of `docs/quickstart.md` run, in order, in an empty directory; the lines
  they print must be the `# -> ...` comments written beside them, in order.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import json
import os
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo

from ticketcore import hookspecs
from ticketcore.settings import ENV_PREFIX, Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"
SETTINGS_DOC = DOCS / "settings.md"
HOOKS_DOC = DOCS / "plugins" / "hooks.md"
QUICKSTART = DOCS / "quickstart.md"

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
_NAMED_SECTION = re.compile(r"^### `(?P<name>[A-Za-z_][A-Za-z0-9_]*)`[ \t]*$", re.M)
_NEXT_HEADING = re.compile(r"^#{1,3} ", re.M)
_EXPECTED_OUTPUT = re.compile(r"(?:^|\s)# -> ?(?P<line>.*?)\s*$", re.M)


# ---------------------------------------------------------------- reading the docs


def code_blocks(text: str, language: str = "python") -> list[tuple[int, str]]:
    """The fenced blocks in `language`, each with the line number its code starts on."""
    return [
        (text.count("\n", 0, m.start("code")) + 1, m.group("code"))
        for m in _FENCE.finditer(text)
        if m.group("lang") == language
    ]


def named_sections(text: str) -> dict[str, str]:
    """`### \\`name\\`` sections: name -> text up to the next heading of level 1 to 3.

    Fenced code is blanked out first, so a `#` comment inside a block never ends a section.
    """
    masked = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    sections: dict[str, str] = {}
    for match in _NAMED_SECTION.finditer(masked):
        following = _NEXT_HEADING.search(masked, match.end())
        end = following.start() if following else len(text)
        name = match.group("name")
        assert name not in sections, f"two sections document `{name}`"
        sections[name] = text[match.end() : end]
    return sections


def _difference(documented: set[str], actual: set[str], what: str) -> list[str]:
    problems = [f"{what} `{n}` is not documented" for n in sorted(actual - documented)]
    problems += [f"`{n}` is documented but is no {what} any more" for n in documented - actual]
    return problems


# ---------------------------------------------------------------- settings


def type_text(annotation: Any) -> str:
    """A field's type as the docs write it: `str`, `Literal["a", "b"]`, `tuple[str, ...]`."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "Literal[" + ", ".join(value_text(a) for a in typing.get_args(annotation)) + "]"
    if origin is not None:
        args = ", ".join(
            "..." if a is Ellipsis else type_text(a) for a in typing.get_args(annotation)
        )
        return f"{origin.__name__}[{args}]"
    return str(annotation.__name__)


def value_text(value: Any) -> str:
    """A default as the docs write it: Python syntax with double-quoted strings."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        return (
            "(" + ", ".join(value_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        )
    return repr(value)


_BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def constraint_text(info: FieldInfo) -> str | None:
    """A field's bounds as the docs write them (`>= 0`), or None when it has none."""
    parts = [
        f"{symbol} {getattr(item, attr)}"
        for item in info.metadata
        for attr, symbol in _BOUNDS
        if getattr(item, attr, None) is not None
    ]
    return ", ".join(parts) or None


def expected_setting_lines(name: str, info: FieldInfo) -> list[str]:
    lines = [
        f"- Type: `{type_text(info.annotation)}`",
        f"- Default: `{value_text(info.default)}`",
    ]
    constraint = constraint_text(info)
    if constraint:
        lines.append(f"- Constraint: `{constraint}`")
    lines += [
        f"- Environment variable and Flask key: `{ENV_PREFIX}{name.upper()}`",
        f'- Django: `TICKETCORE = {{"{name.upper()}": ...}}`',
    ]
    return lines


def settings_sections() -> dict[str, str]:
    return named_sections(SETTINGS_DOC.read_text(encoding="utf-8"))


def test_every_setting_is_documented_and_every_documented_setting_exists() -> None:
    problems = _difference(set(settings_sections()), set(Settings.model_fields), "setting")
    assert not problems, "docs/settings.md is out of date:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented_as_the_model_defines_it(name: str) -> None:
    info = Settings.model_fields[name]
    section = settings_sections().get(name)
    if section is None:
        pytest.fail(f"docs/settings.md has no section for `{name}`")
    lines = [line.strip() for line in section.splitlines()]
    missing = [line for line in expected_setting_lines(name, info) if line not in lines]
    assert not missing, f"docs/settings.md, `{name}`: expected these lines:\n" + "\n".join(missing)
    assert info.description, f"Settings.{name} has no description"
    flat = " ".join(section.split())
    assert " ".join(info.description.split()) in flat, (
        f"docs/settings.md, `{name}`: the section must quote the field's description:\n"
        f"{info.description}"
    )
    assert len([line for line in lines if line.startswith("- Constraint:")]) == (
        1 if constraint_text(info) else 0
    ), f"docs/settings.md, `{name}`: wrong constraint line"


# ---------------------------------------------------------------- hooks


def hookspec_definitions() -> dict[str, ast.FunctionDef]:
    """The `def` of every function marked as a hookspec, from the source of `hookspecs.py`."""
    marker = f"{hookspecs.PROJECT}_spec"
    names = {
        name
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, marker)
    }
    tree = ast.parse(inspect.getsource(hookspecs))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names}


def signature(node: ast.FunctionDef) -> str:
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"def {node.name}({ast.unparse(node.args)}){returns}"


def is_firstresult(name: str) -> bool:
    options = getattr(getattr(hookspecs, name), f"{hookspecs.PROJECT}_spec")
    return bool(options["firstresult"])


def hooks_sections() -> dict[str, str]:
    return named_sections(HOOKS_DOC.read_text(encoding="utf-8"))


def test_every_hook_is_documented_and_every_documented_hook_exists() -> None:
    assert hookspec_definitions(), "found no hookspecs: is the marker name still right?"
    problems = _difference(set(hooks_sections()), set(hookspec_definitions()), "hook")
    assert not problems, "docs/plugins/hooks.md is out of date:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", sorted(hookspec_definitions()))
def test_hook_is_documented_with_its_exact_signature(name: str) -> None:
    spec = hookspec_definitions()[name]
    section = hooks_sections().get(name)
    if section is None:
        pytest.fail(f"docs/plugins/hooks.md has no section for `{name}`")
    blocks = code_blocks(section)
    assert blocks, f"docs/plugins/hooks.md, `{name}`: the section needs a python block"
    documented = [
        node
        for node in ast.walk(ast.parse(blocks[0][1]))
        if isinstance(node, ast.FunctionDef) and node.name == name
    ]
    assert documented, f"docs/plugins/hooks.md, `{name}`: its first block must `def {name}(...)`"
    assert signature(documented[0]) == signature(spec), (
        f"docs/plugins/hooks.md shows the wrong signature for `{name}`"
    )
    says_firstresult = "firstresult" in section
    assert says_firstresult == is_firstresult(name), f"docs/plugins/hooks.md, `{name}`: " + (
        "say it is a firstresult hook" if is_firstresult(name) else "it is not firstresult"
    )


# ---------------------------------------------------------------- quickstart


def runnable_quickstart() -> tuple[str, list[str]]:
    """The python blocks as one program whose line numbers are those of the markdown file,
    and the output the page promises."""
    text = QUICKSTART.read_text(encoding="utf-8")
    source = ""
    expected: list[str] = []
    for start, code in code_blocks(text):
        source += "\n" * (start - 1 - source.count("\n")) + code
        expected += [m.group("line") for m in _EXPECTED_OUTPUT.finditer(code)]
    return source, expected


def test_quickstart_runs_and_prints_what_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, expected = runnable_quickstart()
    assert expected, "the quickstart should show some output with `# ->` comments"
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    # Plugins installed in this environment must not change what the page shows.
    monkeypatch.setenv("TICKETCORE_DISABLE_PLUGINS", "1")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "quickstart"}
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(source, str(QUICKSTART), "exec"), namespace)
    finally:
        helpdesk = namespace.get("helpdesk")
        if helpdesk is not None:
            helpdesk.close()  # a failed run must not leak its SQLite connections
    assert output.getvalue().splitlines() == expected
