"""Imports follow the pipeline (read from the AST, lazy imports inside functions included):

    vgx core (contracts) <- runtime <- export <- benchmarks <- cli, studies
                         <- train   <-/
runtime/ knows nothing of train/ or export/ (a Jetson runs it with neither); vgx core knows no
stage; only the CLI imports everything. The runtime is handed the torch half through
vgx.runtime.hooks, which the CLI connects (vgx.cli.wiring)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

# folder -> its import name; vgx/cli is its own stage
STAGES = {"vgx": "vgx", "vgx/cli": "vgx.cli", "runtime": "vgx.runtime", "train": "vgx.train",
          "export": "vgx.export", "benchmarks": "vgx.benchmarks", "benchmarks/studies": "vgx.benchmarks.studies"}
ALLOWED = {
    "vgx": {"vgx"},
    "vgx.runtime": {"vgx", "vgx.runtime"},
    "vgx.train": {"vgx", "vgx.train", "vgx.runtime"},  # runtime's video writer for latent walks
    "vgx.export": {"vgx", "vgx.export", "vgx.train", "vgx.runtime"},
    "vgx.benchmarks": {"vgx", "vgx.benchmarks", "vgx.runtime", "vgx.export", "vgx.train"},
    "vgx.cli": {"vgx", "vgx.cli", "vgx.runtime", "vgx.export", "vgx.train", "vgx.benchmarks", "vgx.benchmarks.studies"},
    # evidence scripts sit on top, like the CLI (they connect the runtime as it does)
    "vgx.benchmarks.studies": {"vgx", "vgx.cli", "vgx.runtime", "vgx.export", "vgx.train", "vgx.benchmarks",
                               "vgx.benchmarks.studies"},
}


def stage_of(module: str) -> str:
    """The stage a dotted vgx module belongs to (longest prefix; `python -m vgx` is the CLI)."""
    if module == "vgx.__main__":
        return "vgx.cli"
    for stage in sorted(set(STAGES.values()), key=len, reverse=True):
        if module == stage or module.startswith(stage + "."):
            return stage
    raise AssertionError(module)


def module_of(path: Path) -> str:
    rel = path.relative_to(REPO)
    folder = rel.parts[0]
    parts = [*STAGES[folder].split("."), *rel.parts[1:]]
    parts[-1] = parts[-1].removesuffix(".py")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, module: str) -> list[str]:
    """Every vgx module `path` imports, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [f"{base}.{a.name}" if a.name != "*" else base for a in node.names]
    return [m for m in found if m == "vgx" or m.startswith("vgx.")]


SOURCES = sorted(p for folder in ("vgx", "runtime", "train", "export", "benchmarks") for p in (REPO / folder).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_follow_the_pipeline(path: Path) -> None:
    module = module_of(path)
    own = stage_of(module)
    wrong = [m for m in imports_of(path, module) if stage_of(m) not in ALLOWED[own]]
    assert not wrong, f"{module} ({own}) imports {wrong}"


def test_the_checker_sees_a_lazy_violation(tmp_path: Path) -> None:
    """A runtime module that imports train/ inside a function, or export/ relatively, is caught."""
    p = tmp_path / "probe.py"
    p.write_text("def f():\n    from vgx.train.loading import load_model\n    from ..export import artifact\n")
    got = imports_of(p, "vgx.runtime.probe")
    assert got == ["vgx.train.loading.load_model", "vgx.export.artifact"]
    assert {stage_of(m) for m in got} - ALLOWED["vgx.runtime"] == {"vgx.train", "vgx.export"}


def test_the_shipped_weights_stay_within_the_package_budget() -> None:
    # the package ships its weights in git and in the wheel: under ~40 MB in all, no file over 10 MB
    weights = sorted((REPO / "train" / "weights").glob("*.pt"))
    sizes = {p.name: p.stat().st_size / 1e6 for p in weights}
    assert sizes and sum(sizes.values()) < 40.0, f"{sum(sizes.values()):.1f} MB of weights"
    assert max(sizes.values()) < 10.0, max(sizes, key=sizes.get)
