"""The stream pipeline with real ONNX Runtime sessions, real files and real signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import REPO, run_vgx, write_video
from vgx.images import demo_images
from vgx.metrics import psnr
from vgx.runtime import Enhancer
from vgx.runtime.enhancer import TensorModel
from vgx.runtime.pipeline import Pipeline, StreamOptions
from vgx.runtime.sinks import NullSink, Sink
from vgx.runtime.sources import DemoSource


def _frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while (r := cap.read())[0]:
        out.append(r[1])
    return out


def _error_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("vgx: error:")]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_file_stream_is_lossless_and_writes_stats(espcn_artifact: Path, tmp_path: Path) -> None:
    clip = write_video(tmp_path / "in.mp4", frames=12, size=(96, 64))
    stats = tmp_path / "stats.json"
    r = run_vgx("stream", "--input", str(clip), "--model", str(espcn_artifact), "--output", str(tmp_path / "out.mp4"),
                "--output", str(tmp_path / "frames"), "--stats-json", str(stats), "--batch", "4")
    assert r.returncode == 0, r.stderr
    out = _frames(tmp_path / "out.mp4")
    assert len(out) == 12 and out[0].shape == (128, 192, 3)
    assert len(list((tmp_path / "frames").glob("*.png"))) == 12
    s = json.loads(stats.read_text())
    assert s["frames_in"] == s["frames_out"] == 12 and s["dropped"] == 0
    assert {"fps", "model_fps", "e2e_latency_ms", "stages"} <= set(s)
    assert {"preprocess", "infer", "postprocess", "sink"} <= set(s["stages"])
    assert set(s["e2e_latency_ms"]) == {"p50", "p99"} and s["backend"] == "ort-cpu"
    assert s["smooth"] == 0.0  # SR: no temporal smoothing unless asked


class SlowSink(Sink):
    name = "slow"

    def __init__(self, delay: float) -> None:
        self.delay, self.count = delay, 0

    def write(self, image: np.ndarray, frame) -> None:
        time.sleep(self.delay)
        self.count += 1


def test_live_policy_drops_stale_frames_under_a_slow_sink() -> None:
    source = DemoSource((64, 48), frames=80, fps=200.0, live=True)
    sink = SlowSink(0.03)
    stats = Pipeline(source, TensorModel(lambda x: x), [sink], StreamOptions(policy="live", queue_size=1)).run()
    assert stats.dropped > 0 and stats.frames_out == sink.count < stats.frames_in
    assert stats.frames_out + stats.dropped <= stats.frames_in


def test_lossless_policy_keeps_every_frame_under_a_slow_sink() -> None:
    source = DemoSource((64, 48), frames=20, fps=200.0, live=False)
    sink = SlowSink(0.01)
    stats = Pipeline(source, TensorModel(lambda x: x), [sink], StreamOptions(policy="lossless")).run()
    assert stats.dropped == 0 and sink.count == stats.frames_in == 20


class FailingSink(Sink):
    name = "failing"

    def write(self, image: np.ndarray, frame) -> None:
        if frame.index >= 3:
            raise OSError(28, "No space left on device")


def test_a_failing_sink_is_closed_and_the_others_go_on(tmp_path: Path) -> None:
    source = DemoSource((64, 48), frames=10)
    good = SlowSink(0.0)
    logs: list[str] = []
    stats = Pipeline(source, TensorModel(lambda x: x), [FailingSink(), good], StreamOptions(), log=logs.append).run()
    assert good.count == 10 and stats.sink_errors == 1
    assert any("failing failed" in line and "No space left" in line for line in logs)


def test_tiled_enhancer_matches_untiled(espcn_artifact: Path) -> None:
    frame = np.ascontiguousarray(demo_images()["chelsea"][:200, :300, ::-1])
    with Enhancer(espcn_artifact) as enh:
        full = enh(frame)
        enh.tile, enh.overlap = 64, 16
        tiled = enh(frame)
    assert full.shape == (400, 600, 3)
    assert psnr(full, tiled) >= 50


def test_enhancer_pads_to_multiple_of(espcn_artifact: Path) -> None:
    with Enhancer(espcn_artifact) as enh:
        enh.card.multiple_of = 4  # as a style net: odd sizes are padded, then cropped back
        out = enh(np.zeros((37, 51, 3), np.uint8))
    assert out.shape == (74, 102, 3)


@pytest.mark.parametrize("sig,after", [(signal.SIGINT, 1.0), (signal.SIGTERM, 0.0), (signal.SIGTERM, 2.5)])
def test_a_signal_ends_the_stream_cleanly_with_a_playable_file(espcn_artifact: Path, tmp_path: Path, sig: int,
                                                                after: float) -> None:
    out = tmp_path / "live.mp4"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "vgx", "stream", "--input", "demo://?frames=100000&width=96&height=64",
                             "--model", str(espcn_artifact), "--output", str(out)], cwd=REPO, env=env,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".live.partial*")):
        time.sleep(0.2)
    time.sleep(after)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    frames = _frames(out)
    assert len(frames) > 0 and frames[0].shape == (128, 192, 3)
    assert not list(tmp_path.glob(".live.partial*"))


def test_default_stream_runs_the_demo_into_a_file(espcn_artifact: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(espcn_artifact, cache / "artifacts" / "espcn-x2")
    r = subprocess.run([sys.executable, "-m", "vgx", "stream", "--frames", "3"], cwd=tmp_path, capture_output=True,
                       text=True, env={**os.environ, "VGX_CACHE": str(cache), "OMP_NUM_THREADS": "1"}, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "vgx-out/stream.mp4" in r.stderr
    assert len(_frames(tmp_path / "vgx-out" / "stream.mp4")) == 3


def test_stream_refuses_a_tampered_artifact(espcn_artifact: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(espcn_artifact, bad)
    (bad / "model.fp32.onnx").write_bytes((bad / "model.fp32.onnx").read_bytes()[:-5] + b"xxxxx")
    assert "does not match the sha256" in _error_line(run_vgx("stream", "--model", str(bad), "--frames", "2",
                                                              "--output", "null://"))


def test_stream_bad_arguments(espcn_artifact: Path, tmp_path: Path) -> None:
    import socket

    assert "unknown scheme" in _error_line(run_vgx("stream", "--input", "foo://x", "--model", str(espcn_artifact)))
    assert "camera 42 not found" in _error_line(run_vgx("stream", "--camera", "42", "--model", str(espcn_artifact)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        line = _error_line(run_vgx("stream", "--model", str(espcn_artifact), "--frames", "2",
                                   "--output", f"http://127.0.0.1:{port}"))
        assert "in use" in line
    assert "--policy" in _error_line(run_vgx("stream", "--model", str(espcn_artifact), "--policy", "fast"))
    assert "--task must be one of sr, style, generate" in _error_line(run_vgx("stream", "--task", "paint"))
    assert "--scale must be one of 2, 3, 4" in _error_line(run_vgx("stream", "--task", "sr", "--scale", "5", "--frames", "1"))


def test_null_sink_and_hud(espcn_artifact: Path) -> None:
    source = DemoSource((64, 48), frames=6)
    with Enhancer(espcn_artifact) as enh:
        stats = Pipeline(source, enh, [NullSink()], StreamOptions(hud=True)).run()
    assert stats.frames_out == 6


def test_switcher_keeps_each_batch_with_its_model(espcn_artifact: Path) -> None:
    from vgx.runtime.switcher import ModelSwitcher

    frame = np.zeros((16, 24, 3), np.uint8)
    with Enhancer(espcn_artifact) as a, Enhancer(espcn_artifact) as b:
        sw = ModelSwitcher([a, b])
        batch = sw.prepare([frame])
        assert sw.next() is b  # a switch between stages...
        out = sw.finish(sw.run(batch))  # ...still finishes with the model that prepared
        assert batch[0] is a and out[0].shape == (32, 48, 3)


def test_zoo_name_is_exported_on_first_use_and_cached(tmp_path: Path) -> None:
    from vgx.train import zoo

    if not zoo.shipped_weights("espcn-x3"):
        pytest.skip("espcn-x3 weights not shipped")
    env = {**os.environ, "VGX_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "vgx", "stream", "-m", "espcn-x3", "--frames", "2", "-o", "null://",
            "--input", "demo://?width=96&height=64"]
    first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "first use of espcn-x3" in first.stderr
    assert (tmp_path / "cache" / "artifacts" / "espcn-x3" / "manifest.json").is_file()
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert again.returncode == 0 and "first use" not in again.stderr


def test_generator_stream_serves_a_latent_walk_over_http(tmp_path: Path) -> None:
    """vgx stream --task generate: a live latent walk through an exported DCGAN, read by a
    real HTTP client from the MJPEG server (no torch in the streaming process's path)."""
    import socket
    import urllib.request

    import torch

    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.train import zoo

    card = zoo.resolve("dcgan-faces").card()
    torch.manual_seed(0)
    art = export_artifact(zoo.build(card).eval(), card, ExportOptions(tmp_path / "dc"), log=lambda s: None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "vgx", "stream", "--task", "generate", "-m", str(art),
                             "--frames", "400", "-o", f"http://127.0.0.1:{port}"], cwd=REPO,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, stderr=subprocess.PIPE, text=True)
    try:
        deadline, frames = time.time() + 60, []
        while time.time() < deadline and not frames:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/stream", timeout=5) as r:
                    while len(frames) < 3:
                        line = r.readline()
                        if line.lower().startswith(b"content-length:"):
                            n = int(line.split(b":")[1])
                            r.readline()
                            frames.append(cv2.imdecode(np.frombuffer(r.read(n), np.uint8), cv2.IMREAD_COLOR))
            except OSError:
                time.sleep(0.3)
        assert len(frames) == 3 and frames[0].shape == (256, 256, 3)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_lossless_batches_keep_order_across_size_changes(tmp_path: Path) -> None:
    """A folder of mixed sizes, batched: every image out, in name order, each its own size."""
    from vgx.images import save_rgb
    from vgx.runtime.sources import open_source

    sizes = [(20, 30), (20, 30), (24, 16), (20, 30), (20, 30), (20, 30)]
    for i, (h, w) in enumerate(sizes):
        save_rgb(tmp_path / "in" / f"{i:02d}.png", np.full((h, w, 3), i * 30, np.uint8))

    class Recorder(Sink):
        name = "recorder"

        def __init__(self) -> None:
            self.seen: list[tuple[str, tuple[int, ...]]] = []

        def write(self, image: np.ndarray, frame) -> None:
            self.seen.append((frame.name, image.shape))

    rec = Recorder()
    Pipeline(open_source(str(tmp_path / "in")), TensorModel(lambda x: x), [rec], StreamOptions(batch=4)).run()
    assert [n for n, _ in rec.seen] == [f"{i:02d}.png" for i in range(6)]
    assert [s[:2] for _, s in rec.seen] == sizes


def test_restore_task_streams_a_noisy_file_and_cleans_it(tmp_path: Path) -> None:
    from vgx.train import zoo
    from vgx.train.degrade import parse_spec

    if not zoo.shipped_weights("compact-x1-real"):
        pytest.skip("compact-x1-real weights not shipped")
    clean = demo_images()["astronaut"][100:164, 50:146]
    noisy = parse_spec("noise=8")(clean, 0)
    clip = tmp_path / "noisy.mp4"
    from vgx.runtime.video_writer import VideoWriter

    writer = VideoWriter(clip, 96, 64, 12.0)
    for _ in range(4):
        writer.write(np.ascontiguousarray(noisy[:, :, ::-1]))
    writer.close()
    env = {**os.environ, "VGX_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    out = tmp_path / "restored.mp4"
    r = subprocess.run([sys.executable, "-m", "vgx", "stream", "--task", "restore", "-i", str(clip), "-o", str(out)],
                       capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "compact-x1-real" in r.stderr  # it says which model the task picked
    frames = _frames(out)
    assert len(frames) == 4 and frames[0].shape == (64, 96, 3)  # same size: restoration, not SR
    with Enhancer(tmp_path / "cache" / "artifacts" / "compact-x1-real") as restore:
        restored = restore(np.ascontiguousarray(noisy[:, :, ::-1]))[:, :, ::-1]
    assert psnr(restored, clean) > psnr(noisy, clean) + 1.0
