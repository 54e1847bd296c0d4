"""The domain depends on nothing but the standard library (and itself)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "messenger" / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute module an import statement of ``path`` names, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        # A relative import stays inside the domain package by construction.
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            found.append((node.lineno, node.module))
    return found


def allowed(module: str) -> bool:
    return (
        module == "messenger.domain"
        or module.startswith("messenger.domain.")
        or module.split(".", maxsplit=1)[0] in sys.stdlib_module_names
    )


def test_the_domain_package_has_modules() -> None:
    assert len(MODULES) > 5
    assert DOMAIN / "usecases" / "messages.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_modules_import_only_the_stdlib_and_the_domain(path: Path) -> None:
    offending = [(line, module) for line, module in imported_modules(path) if not allowed(module)]

    assert offending == []


def test_the_guard_catches_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "import os\nfrom messenger.adapters.memory import X\n"
        "import sqlalchemy.orm\nfrom messenger.domain.model import User\nfrom . import y\n"
    )

    bad = [m for _, m in imported_modules(module) if not allowed(m)]

    assert bad == ["messenger.adapters.memory", "sqlalchemy.orm"]
