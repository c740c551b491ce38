"""Shared fixtures: small real image folders (from scikit-image's bundled samples)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vgx.images import demo_images, save_rgb

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six real 96x96..160x128 crops of the built-in demo images."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for name, img in demo_images().items():
        for k, (h, w) in enumerate([(96, 96), (128, 160)]):
            y, x = rng.integers(0, img.shape[0] - h), rng.integers(0, img.shape[1] - w)
            save_rgb(root / f"{name}_{k}.png", img[y : y + h, x : x + w])
    return root


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared/data is absent ({SHARED})")
    return SHARED


def run_vgx(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`vgx ARGS` in a fresh interpreter, as a user runs it."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "vgx", *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=REPO)
