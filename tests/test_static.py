"""Static checks that run with the tests: the TensorRT code type-checks against
tensorrt-stubs (it cannot run here), and the tree passes ruff."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.util import find_spec

import pytest

from tests.conftest import REPO


def test_tensorrt_code_typechecks_against_the_stubs() -> None:
    if find_spec("tensorrt_bindings") is None:
        pytest.skip("tensorrt-stubs not installed (pip install --no-deps tensorrt-stubs)")
    r = subprocess.run([sys.executable, "scripts/trt_stubs.py"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "# type: ignore" not in (REPO / "export" / "trt_build.py").read_text()


def test_ruff_is_clean() -> None:
    if shutil.which("ruff") is None and find_spec("ruff") is None:
        pytest.skip("ruff not installed")
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
