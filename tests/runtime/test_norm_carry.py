"""Carried norm statistics: the torch form, its exported graph, and the stream's state (runtime/norm_carry.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import read_frames, run_vgx, seeded_style_net, write_video
from vgx import manifest as mf
from vgx.convert import bgr_to_nchw
from vgx.images import demo_images
from vgx.runtime import Enhancer
from vgx.runtime.norm_carry import KEEP_INPUT, STATE_INPUT, NormCarry
from vgx.runtime.ort_runner import ORTRunner
from vgx.runtime.runner import infer_one
from vgx.train.models.carried_norm import CarriedNorms, CarriedStylizer


def _net() -> torch.nn.Module:
    return seeded_style_net()


def _frames(n: int = 3, h: int = 32, w: int = 48) -> list[np.ndarray]:
    """A pan over a real picture (N3HW float): consecutive frames close enough not to count as cuts."""
    base = bgr_to_nchw([np.ascontiguousarray(demo_images()["astronaut"][100 : 100 + h, 50 : 50 + w + 4 * n])])
    return [np.ascontiguousarray(base[:, :, :, 2 * i : 2 * i + w]) for i in range(n)]


def test_keep_0_is_the_plain_net_and_keep_1_holds_the_first_frame_s_statistics() -> None:
    net = _net()
    carried = CarriedNorms(net).eval()
    a, b = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32) * 0.5
    with torch.no_grad():
        y, state = carried(a, torch.rand(1, carried.size), torch.zeros(1))  # any state, keep 0: per frame
        assert torch.allclose(y, net(a), atol=1e-5) and state.shape == (1, carried.size)
        frozen = CarriedStylizer(net, 1.0)
        assert torch.allclose(frozen(a), net(a), atol=1e-5)  # the first frame uses its own
        held = frozen(b)  # b normalised with a's statistics: not what b gives alone
        assert not torch.allclose(held, net(b), atol=1e-3)
        _, again = carried(b, state, torch.ones(1))
        assert torch.allclose(again, state)  # keep 1 passes the state through unchanged
        frozen.reset()
        assert torch.allclose(frozen(b), net(b), atol=1e-5)


def test_export_writes_a_verified_carried_graph(style_artifact: Path) -> None:
    manifest = mf.read(style_artifact)
    entry = manifest["precisions"]["fp32"]["carried"]
    assert entry["verification"]["max_abs"] <= 1e-4 and entry["verification"]["keep_0_vs_plain_max_abs"] <= 1e-4
    assert entry["file"] in manifest["files"] and entry["state_size"] == CarriedNorms(_net()).size
    assert manifest["tensorrt_check"]["files"][entry["file"]]["10.x"]["problems"] == []


def test_norm_carry_follows_the_torch_form_and_starts_afresh_at_a_cut(style_artifact: Path) -> None:
    manifest = mf.read(style_artifact)
    entry = manifest["precisions"]["fp32"]["carried"]
    frames = _frames()
    reference = CarriedStylizer(_net(), 0.9)
    with ORTRunner(style_artifact / entry["file"]) as runner, \
            ORTRunner(style_artifact / manifest["precisions"]["fp32"]["file"]) as plain:
        carry = NormCarry(runner, 0.9, entry["state_size"])
        for x in frames:
            assert np.abs(carry.infer(x) - reference(torch.from_numpy(x)).numpy()).max() < 1e-4
        assert carry.resets == 0
        cut = np.ascontiguousarray(1.0 - frames[0])  # another scene: its own statistics, not the pan's
        assert np.abs(carry.infer(cut) - infer_one(plain, cut)).max() < 1e-4 and carry.resets == 1
        carry.infer(frames[0][:, :, :16, :16])  # a new size starts afresh too
        assert carry.resets == 2
        # a batch of frames shares the state before it (its rows repeated); the last frame's goes on
        carry.infer(frames[0])
        before, batch = carry.state, np.concatenate(frames[1:])
        out = carry.infer(batch)
        expected = runner.infer({"input": batch, STATE_INPUT: np.repeat(before, 2, axis=0), KEEP_INPUT: np.float32([0.9])})
        assert np.abs(out - expected["output"]).max() < 1e-5
        assert np.array_equal(carry.state, expected["norm_state_out"][-1:])
    with pytest.raises(ValueError, match="keep"):
        NormCarry(runner, 1.0, entry["state_size"])


def test_enhancer_says_why_it_cannot_carry(style_artifact: Path, espcn_artifact: Path) -> None:
    with Enhancer(espcn_artifact) as enh:
        assert "no InstanceNorm" in (enh.carry_norms(0.9) or "")
        assert enh.carry is None and enh.carry_norms(0.0) is None
    with Enhancer(style_artifact, backend="torch") as enh:
        assert "ONNX Runtime" in (enh.carry_norms(0.9) or "")
    with Enhancer(style_artifact) as enh:
        assert enh.carry_norms(0.5) is None and enh.carry_norms(0.9) is None and enh.carry is not None
        assert enh.carry.keep == 0.9  # asked again: replaced, the first runner closed
        frame = (np.random.default_rng(1).random((32, 48, 3)) * 255).astype(np.uint8)
        assert enh(frame).shape == frame.shape  # the float path (no frame-I/O twin while carrying)


def test_style_stream_carries_norms_by_default_and_checks_the_option(style_artifact: Path, tmp_path: Path) -> None:
    clip = write_video(tmp_path / "in.mp4", frames=6, size=(64, 48))
    stats = tmp_path / "stats.json"
    r = run_vgx("stream", "--task", "style", "--model", str(style_artifact), "-i", str(clip), "-o", "null://",
                "--stats-json", str(stats))
    assert r.returncode == 0, r.stderr
    assert "norm statistics carried between frames (keep 0.97" in r.stderr
    doc = json.loads(stats.read_text())
    assert doc["carry_norms"] == 0.97 and doc["norm_resets"] == 0  # one steady pan: no fresh start after the first
    r = run_vgx("stream", "--task", "style", "--model", str(style_artifact), "-i", str(clip), "-o", "null://",
                "--carry-norms", "1.5")
    assert r.returncode != 0 and r.stderr.strip().splitlines()[-1] == \
        "vgx: error: --carry-norms must be from 0 (off) to below 1, not 1.5"


def test_a_batch_video_carries_norms_as_its_stream_does_afresh_for_each_file(style_artifact: Path, tmp_path: Path) -> None:
    from vgx.runtime.batch import Worker
    from vgx.runtime.stream import StreamRequest, run_stream

    clip = write_video(tmp_path / "pan.mp4", frames=6, size=(64, 48))
    run_stream(StreamRequest(input=str(clip), model=str(style_artifact), outputs=[str(tmp_path / "s.mp4")], smooth=0.0),
               log=lambda s: None)
    worker = Worker(str(style_artifact), "fp32", "auto", 1, 0.0)  # carry_norms None: style's default, as the stream
    assert worker.enh.carry is not None and worker.enh.carry.keep == 0.97
    for name in ("a.mp4", "b.mp4"):  # the second file starts from its own statistics, not the first's last
        assert worker.run(str(clip), str(tmp_path / name))["status"] == "done"
    s, a, b = (read_frames(tmp_path / n) for n in ("s.mp4", "a.mp4", "b.mp4"))
    assert len(s) == len(a) == len(b) == 6 and all(np.array_equal(x, y) and np.array_equal(x, z) for x, y, z in zip(s, a, b))
    worker.enh.__exit__(None, None, None)
    r = run_vgx("batch", str(tmp_path), "--model", str(style_artifact), "--out", str(tmp_path / "o"), "--carry-norms", "-1")
    assert r.returncode == 2 and "--carry-norms must be from 0 (off) to below 1, not -1.0" in r.stderr


def test_a_style_stream_carries_norms_on_a_runtime_only_install(style_artifact: Path, tmp_path: Path) -> None:
    """No torch (a Jetson with the runtime only): the carried-norm graph streams and verifies."""
    import os
    import subprocess
    import sys

    from tests.runtime.test_no_torch import BLOCK_TORCH

    clip, stats = write_video(tmp_path / "in.mp4", frames=4, size=(64, 48)), tmp_path / "stats.json"
    for argv in (["stream", "--task", "style", "--model", str(style_artifact), "-i", str(clip), "-o", "null://",
                  "--stats-json", str(stats)], ["verify", str(style_artifact), "--backends", "ort-cpu"]):
        code = BLOCK_TORCH + f"from vgx.cli import main\nsys.argv = ['vgx', *{argv!r}]\nmain()\n"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "150"})
        assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(stats.read_text())["carry_norms"] == 0.97
    assert "fp32+carried" in r.stdout and "fail" not in r.stdout


def test_on_gpu_providers_the_carried_graph_s_frame_io_twin_carries_the_same(style_artifact: Path, monkeypatch) -> None:
    """The uint8 twin of the carried graph (what ORT CUDA / TensorRT EP run), tried on ORT's CPU
    provider: the same outputs as the float path, frame after frame, to one level."""
    from vgx.runtime import enhancer as enhancer_mod

    manifest = mf.read(style_artifact)
    assert manifest["precisions"]["fp32"]["carried"]["frame_io"]["max_lsb_diff"] <= 1
    frames = [np.ascontiguousarray(demo_images()["astronaut"][100:148, 50 + 3 * i : 114 + 3 * i, ::-1]) for i in range(3)]
    with Enhancer(style_artifact) as enh:
        enh.carry_norms(0.9)
        floats = [enh(f) for f in frames]
    monkeypatch.setattr(enhancer_mod, "FRAME_IO_BACKENDS", ("ort-cpu",))
    with Enhancer(style_artifact) as enh:
        enh.carry_norms(0.9)
        assert enh.carry is not None and enh.carry.frames and enh.prepare(frames[:1])[0]  # the baked path
        baked = [enh(f) for f in frames]
        odd = enh(frames[0][:47])  # an unaligned frame takes the float path, per frame: no error
        enh.carry_norms(0.0)  # off: the plain graph's twin
        per_frame = enh(frames[2])
    assert odd.shape == (47, 64, 3)
    assert all(np.abs(a.astype(int) - b.astype(int)).max() <= 1 for a, b in zip(floats, baked))
    assert np.abs(per_frame.astype(int) - baked[2].astype(int)).max() > 1  # carried: not what the frame gives alone
