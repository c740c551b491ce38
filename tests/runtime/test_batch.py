"""`vgx batch` on a local Ray (2 CPUs): two short videos, three images and a corrupt file;
outputs equal `vgx stream`'s frame for frame, the corrupt file is recorded, a re-run skips."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import read_frames, run_vgx, write_video
from vgx.images import demo_images, save_rgb

pytest.importorskip("ray", reason="vgx[batch] (ray) is not installed")


def test_batch_on_local_ray_equals_stream_records_failures_and_resumes(espcn_artifact: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_video(src / "pan.mp4", frames=10)
    write_video(src / "small.mp4", frames=6, size=(64, 48))
    for name in ("astronaut", "coffee", "chelsea"):
        save_rgb(src / f"{name}.jpg", np.ascontiguousarray(demo_images()[name][:72, :96]))
    (src / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    out = tmp_path / "out"
    r = run_vgx("batch", str(src), "--model", str(espcn_artifact), "--out", str(out), "--workers", "2", timeout=600)
    assert r.returncode == 1, r.stderr
    assert "1 of 6 files failed (broken.mp4)" in r.stderr.strip().splitlines()[-1] and "Traceback" not in r.stderr
    doc = json.loads((out / "vgx_batch.json").read_text())["files"]
    status = {Path(k).name: v["status"] for k, v in doc.items()}
    assert status == {"pan.mp4": "done", "small.mp4": "done", "astronaut.jpg": "done", "coffee.jpg": "done",
                      "chelsea.jpg": "done", "broken.mp4": "failed"}
    assert doc[str(src / "pan.mp4")]["frames"] == 10
    assert sorted(p.name for p in out.iterdir()) == ["astronaut.png", "chelsea.png", "coffee.png", "pan.mp4",
                                                     "small.mp4", "vgx_batch.json"]  # nothing half-written
    for name, kind in (("pan.mp4", "video"), ("coffee.jpg", "image")):
        ref = tmp_path / f"stream-{Path(name).stem}"
        target = ref / "x.mp4" if kind == "video" else ref
        r = run_vgx("stream", "-i", str(src / name), "-m", str(espcn_artifact), "-o", str(target))
        assert r.returncode == 0, r.stderr
        if kind == "video":
            a, b = read_frames(out / name), read_frames(target)
            assert len(a) == len(b) == 10 and all(np.array_equal(x, y) for x, y in zip(a, b))
        else:
            assert np.array_equal(cv2.imread(str(out / "coffee.png")), cv2.imread(str(ref / "coffee.png")))
    r = run_vgx("batch", str(src), "--model", str(espcn_artifact), "--out", str(out), "--workers", "2", timeout=600)
    assert "skipping 5 of 6 files already done" in r.stderr and r.returncode == 1


def test_a_batch_file_is_smoothed_as_its_stream_is(espcn_artifact: Path, tmp_path: Path) -> None:
    from vgx.runtime import Enhancer
    from vgx.runtime.batch import process_file
    from vgx.runtime.stream import StreamRequest, run_stream

    clip = write_video(tmp_path / "pan.mp4", frames=6)
    run_stream(StreamRequest(input=str(clip), model=str(espcn_artifact), outputs=[str(tmp_path / "s.mp4")], smooth=0.7),
               log=lambda s: None)
    with Enhancer(espcn_artifact) as enh:
        process_file(enh, clip, tmp_path / "b.mp4", smooth=0.7)
        process_file(enh, clip, tmp_path / "raw.mp4")  # SR: no smoothing unless asked
    a, b, raw = (read_frames(tmp_path / n) for n in ("s.mp4", "b.mp4", "raw.mp4"))
    assert len(a) == len(b) == 6 and all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[-1], raw[-1])


def test_batch_bad_arguments(espcn_artifact: Path, tmp_path: Path) -> None:
    r = run_vgx("batch", str(tmp_path), "--model", str(espcn_artifact), "--out", str(tmp_path / "o"), "--smooth", "1")
    assert r.returncode == 2 and "--smooth must be from 0 (off) to below 1, not 1.0" in r.stderr
    for args, msg in ((["/no/such/dir"], "input not found"), ([str(tmp_path)], "no videos or images")):
        r = run_vgx("batch", *args, "--model", str(espcn_artifact), "--out", str(tmp_path / "o"))
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr
