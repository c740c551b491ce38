"""The runtime runs on a Jetson with only the runtime installed: no torch, ever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# a fresh interpreter in which `import torch` fails, as on a runtime-only Jetson
BLOCK_TORCH = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch' or name.startswith('torch.'):\n"
    "            raise ImportError('torch is blocked in this test')\n"
    "sys.meta_path.insert(0, Block())\n"
)

RUNTIME_MODULES = sorted(
    f"vgx.runtime.{p.stem}" for p in (Path(__file__).resolve().parents[2] / "runtime").glob("*.py")
    if p.stem != "__init__"
) + ["vgx.runtime", "vgx.manifest", "vgx.samples", "vgx.metrics", "vgx.images", "vgx.sr_protocol", "vgx.cli"]


def test_runtime_imports_without_torch() -> None:
    """Every runtime module imports in a fresh interpreter where torch cannot be imported."""
    code = (
        BLOCK_TORCH + f"import importlib\nfor m in {RUNTIME_MODULES!r}: importlib.import_module(m)\n"
        "assert 'torch' not in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_verify_runs_without_torch(tmp_path) -> None:
    """`vgx verify` on an artifact folder, with torch blocked, as on a runtime-only Jetson."""
    import torch

    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.train import zoo

    card = zoo.resolve("espcn-x2").card()
    torch.manual_seed(0)
    export_artifact(zoo.build(card).eval(), card, ExportOptions(tmp_path / "a", fp16=True), log=lambda s: None)
    code = (
        BLOCK_TORCH + "from vgx.cli import main\n"
        f"sys.argv = ['vgx', 'verify', {str(tmp_path / 'a')!r}, '--backends', 'ort-cpu']\n"
        "main()\n"
    )
    env = {**os.environ, "COLUMNS": "150"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("pass") == 2


def test_models_lists_the_zoo_without_torch() -> None:
    """`vgx models` on a runtime-only install: the zoo table is data (train/weights/index.json)."""
    code = BLOCK_TORCH + "from vgx.cli import main\nsys.argv = ['vgx', 'models', '--markdown']\nmain()\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "| espcn-x2 |" in r.stdout and "| style-udnie-slim |" in r.stdout and "| vae-faces |" in r.stdout


def test_zoo_index_matches_the_zoo_and_shipped_weights() -> None:
    """The shipped index is what write_index would write now (cards, params, MACs)."""
    from vgx.train.zoo_index import build_index, read_index

    fix = "python -c 'from vgx.train.zoo_index import write_index; write_index()'"
    assert read_index() == build_index(), f"stale train/weights/index.json: {fix}"
