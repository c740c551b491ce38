"""Faults while streaming: bad frames are skipped and counted; a sink that fails (disk full)
is reported and closed while the others go on, and what it wrote stays valid."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import av
import numpy as np

from tests.conftest import REPO, run_vgx
from vgx.images import demo_images, save_rgb


def test_frames_that_fail_to_decode_are_skipped_and_counted(espcn_artifact: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    for i, name in enumerate(["astronaut", "chelsea", "coffee"]):
        save_rgb(src / f"f{i}_good.png", np.ascontiguousarray(demo_images()[name][:48, :64]))
    (src / "f1_junk.png").write_text("not an image")
    good = (src / "f2_good.png").read_bytes()
    (src / "f3_cut.png").write_bytes(good[: len(good) // 2])
    stats = tmp_path / "stats.json"
    r = run_vgx("stream", "--input", str(src), "--model", str(espcn_artifact), "--output", str(tmp_path / "out"),
                "--stats-json", str(stats))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["f0_good.png", "f1_good.png", "f2_good.png"]
    assert json.loads(stats.read_text())["decode_errors"] == 2


def test_a_stream_that_decodes_no_frame_at_all_is_an_error(espcn_artifact: Path, tmp_path: Path) -> None:
    """A folder where every file fails, or one file that is not an image: one line naming the
    failures, a non-zero exit, and no empty output folder or video left behind."""
    src = tmp_path / "junk"
    src.mkdir()
    (src / "notes.png").write_text("not an image")
    (src / "half.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 40)
    r = run_vgx("stream", "--input", str(src), "--model", str(espcn_artifact), "--output", str(tmp_path / "out"))
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    assert "could be decoded (2 of 2 failed: half.jpg, notes.png)" in last and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()
    r = run_vgx("stream", "--input", str(src / "notes.png"), "--model", str(espcn_artifact),
                "--output", str(tmp_path / "out.mp4"))
    assert r.returncode == 2 and "notes.png" in r.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "out.mp4").exists()


def _limit_file_size() -> None:  # no file may pass 100 kB: the 'disk' fills a few fragments into the video
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_a_full_disk_stops_one_sink_keeps_its_playable_part_and_the_others_go_on(espcn_artifact: Path,
                                                                                 tmp_path: Path) -> None:
    video, stats = tmp_path / "long.mp4", tmp_path / "stats.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "vgx", "stream", "--input", "demo://?frames=600&width=96&height=64",
                        "--model", str(espcn_artifact), "--output", str(video), "--output", "null://",
                        "--policy", "lossless", "--stats-json", str(stats)],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=300, preexec_fn=_limit_file_size)
    assert r.returncode == 0, r.stderr
    assert "failed" in r.stderr and str(video) in r.stderr
    figures = json.loads(stats.read_text())
    assert figures["frames_out"] == 600 and figures["sink_errors"] == 1  # the other sink saw every frame
    with av.open(str(video)) as container:  # the part written before the disk filled plays
        decoded = sum(1 for _ in container.decode(video=0))
    assert 0 < decoded < 600
    assert not list(tmp_path.glob(".*partial*"))
