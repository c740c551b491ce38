"""Shared fixtures: small real image folders (from scikit-image's bundled samples)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vgx.cli.wiring import connect
from vgx.images import demo_images, save_rgb

connect()  # as the CLI does: zoo names export on first use, --backend torch runs PyTorch

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


def seeded_style_net():
    """style-udnie-slim with seeded random weights (plumbing, not quality)."""
    import torch

    from vgx.train import zoo

    torch.manual_seed(0)
    return zoo.build(zoo.resolve("style-udnie-slim").card()).eval()


@pytest.fixture(scope="session")
def style_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A style-udnie-slim artifact (seeded random weights) with its fp32 carried-norm graph and its twin."""
    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.train import zoo

    card = zoo.resolve("style-udnie-slim").card()
    out = tmp_path_factory.mktemp("carried") / card.name
    export_artifact(seeded_style_net(), card, ExportOptions(out), log=lambda s: None)
    return out


@pytest.fixture(scope="session")
def espcn_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exported espcn-x2 artifact folder (fp32 + int8; seeded random weights are enough
    for plumbing tests: quality is tested where weights are trained)."""
    import torch

    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.export.int8 import Int8Config
    from vgx.train import zoo

    card = zoo.resolve("espcn-x2").card()
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("artifacts") / "espcn-x2"
    export_artifact(zoo.build(card).eval(), card, ExportOptions(out, int8=Int8Config(count=4, max_fallback=0)),
                    log=lambda s: None)
    return out


def write_video(path: Path, frames: int = 12, size: tuple[int, int] = (96, 64), fps: float = 12.0) -> Path:
    """A real H.264 clip of a panning demo image."""
    from vgx.runtime.video_writer import VideoWriter

    img = demo_images()["astronaut"][:, :, ::-1]
    w, h = size
    writer = VideoWriter(path, w, h, fps)
    for i in range(frames):
        writer.write(np.ascontiguousarray(img[100 : 100 + h, 50 + 4 * i : 50 + 4 * i + w]))
    writer.close()
    return path


def read_frames(path: Path) -> list[np.ndarray]:
    """Every frame OpenCV decodes from a video file (BGR)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            return frames
        frames.append(f)
