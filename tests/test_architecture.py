"""Architecture rules: layers import downwards only; the engine never imports a benchmark package;
packages declare their public surface."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mteval"

# Lower rank = lower layer. A module may import modules of its own or a lower rank.
RANKS = {
    "types": 0,
    "errors": 0,
    "config": 0,
    "_version": 0,
    "records": 0,
    "text": 1,
    "resources": 1,
    "instructions": 1,
    "data": 2,
    "models": 4,
    # The benchmark interface and registry (mteval.benchmarks, mteval.benchmarks.base).
    "benchmarks": 4.5,
    "runner": 5,
    "scoring": 6,
    "judges": 7,
    "store": 8,
    "analysis": 9,
    "report": 10,
    "viewer": 10,
    "pipeline": 11,
    "audit": 11,
    "cli_report": 12,
    "cli_audit": 12,
    "cli_common": 12,
    "cli_view": 12,
    "cli": 12,
}
# The mock endpoint is a leaf for tests and benchmarks: it may use only the bottom layer.
LEAVES = {"testing": 0}

# The benchmark seam: these modules of mteval.benchmarks are the interface and the
# registry; every other module below mteval.benchmarks belongs to a benchmark package
# (a plug-in). Plug-ins sit above the engine's report layer and below the pipeline:
# they may use anything up to the report layer, but no engine module imports them
# (the registry imports them by name at run time).
INTERFACE = {"mteval.benchmarks", "mteval.benchmarks.base", "mteval.benchmarks.__init__"}
PLUGIN = "benchmark-plugin"
RANKS[PLUGIN] = 10.5


def plugin_of(module: str) -> str | None:
    """The benchmark package a module belongs to (None for engine modules)."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "benchmarks" and module not in INTERFACE:
        return parts[2]
    return None


def layer_of(module: str) -> str:
    if plugin_of(module) is not None:
        return PLUGIN
    return module.split(".")[1] if module.count(".") >= 1 else ""


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "mteval" or name.startswith("mteval.")}


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        out.append((".".join(rel.parts), path))
    return out


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_layers_import_downwards_only(module: str, path: Path) -> None:
    layer = layer_of(module)
    if module in ("mteval", "mteval.__init__"):
        return  # the package root re-exports lazily
    if layer in LEAVES:
        allowed = LEAVES[layer]
        for name in imports_of(path):
            target = layer_of(name)
            assert target == layer or RANKS.get(target, 99) <= allowed, f"{module} imports {name}"
        return
    assert layer in RANKS, f"{module}: unknown layer {layer!r}; add it to RANKS"
    for name in imports_of(path):
        target = layer_of(name)
        assert target not in LEAVES, f"{module} imports the test-only {name}"
        assert RANKS.get(target, 99) <= RANKS[layer], (
            f"{module} (layer {layer}) imports {name} (layer {target}): lower layers never "
            "import higher ones"
        )


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_the_engine_never_imports_a_benchmark_package(module: str, path: Path) -> None:
    own = plugin_of(module)
    for name in imports_of(path):
        target = plugin_of(name)
        if target is None:
            continue
        assert own is not None, (
            f"{module} imports the benchmark package {name}: the engine reaches benchmarks "
            "only through mteval.benchmarks.get_benchmark (the registry)"
        )
        assert target == own, f"benchmark package {own} imports another benchmark's {name}"


def test_every_registered_benchmark_is_a_package_with_a_benchmark() -> None:
    from mteval.benchmarks import REGISTRY, get_benchmark

    for name, module in REGISTRY.items():
        assert plugin_of(module) is not None, module
        benchmark = get_benchmark(name)
        assert benchmark.name == name
        assert (SRC / "benchmarks" / module.split(".")[2] / "__init__.py").is_file()
        # A benchmark package opens with a docstring citing its paper and reference code.
        doc = importlib.import_module(module).__doc__ or ""
        assert len(doc.strip()) > 40, f"{module} lacks its opening docstring"


PACKAGES = [
    p.parent.relative_to(SRC.parent).as_posix().replace("/", ".")
    for p in sorted(SRC.rglob("__init__.py"))
]


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_declare_and_honour_all(package: str) -> None:
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    assert isinstance(names, list | tuple), f"{package} lacks __all__"
    for name in names:
        assert hasattr(module, name) or name in getattr(module, "_LAZY", {}), (
            f"{package}.__all__ lists {name!r}, which it does not define"
        )


def test_top_level_api() -> None:
    import mteval

    assert callable(mteval.evaluate) and callable(mteval.evaluate_async)
    from mteval.instructions import check, describe

    assert check("punctuation:no_comma", {}, "no commas here") is True
    assert describe("change_case:lowercase", {}).startswith("All your responses")
