from __future__ import annotations

import ast
from pathlib import Path

import mteval.testing
import mteval.testing.endpoint

PACKAGE = Path(mteval.testing.__file__).parent
ALLOWED_MTEVAL = {"mteval.types", "mteval.errors"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_testing_package_imports_only_stdlib_pydantic_and_core_types():
    import sys

    for path in PACKAGE.glob("*.py"):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top == "mteval":
                assert name in ALLOWED_MTEVAL or name.startswith("mteval.testing"), (path, name)
            else:
                assert top in sys.stdlib_module_names or top == "pydantic", (path, name)


def test_public_names_exist():
    for module in (mteval.testing, mteval.testing.endpoint):
        for name in module.__all__:
            assert hasattr(module, name), name
    assert set(mteval.testing.endpoint.__all__) == set(mteval.testing.__all__) | {"main"}
