"""Hostile and broken input across the commands: each case is what a user (or an attacker)
can hand vgx. Broken input gets one clear line and a non-zero exit, never a traceback,
and an output that existed before is left exactly as it was. Input that is odd but valid
(greyscale, 16-bit, CMYK, 1x1 ...) is converted and processed."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_vgx
from vgx.images import demo_images

Setup = Callable[[Path, Path], list[str]]  # (tmp folder, artifact folder) -> vgx arguments


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _rgb(size: tuple[int, int] = (40, 32)) -> np.ndarray:
    return np.ascontiguousarray(demo_images()["coffee"][: size[1], : size[0]])


def _upscale(name: str, write: Callable[[Path], None]) -> Setup:
    def setup(tmp: Path, art: Path) -> list[str]:
        path = tmp / name
        write(path)
        return ["upscale", str(path), "--model", "espcn-x2", "--out", str(tmp / "out")]
    return setup


def _video_bytes(tmp: Path) -> bytes:
    from vgx.runtime.video_writer import VideoWriter

    w = VideoWriter(tmp / "real.mp4", 64, 48, 10)
    for i in range(10):
        w.write(np.full((48, 64, 3), i * 20, np.uint8))
    w.close()
    return (tmp / "real.mp4").read_bytes()


def _stream_input(make: Callable[[Path], str]) -> Setup:
    def setup(tmp: Path, art: Path) -> list[str]:
        return ["stream", "--input", make(tmp), "--model", str(art), "--output", str(tmp / "out" / "o.mp4"),
                "--frames", "5"]
    return setup


def _write_file(name: str, data: bytes) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        (tmp / name).write_bytes(data)
        return str(tmp / name)
    return make


def _junk_folder(tmp: Path) -> str:
    (tmp / "junk").mkdir()
    (tmp / "junk" / "notes.txt").write_text("x")
    (tmp / "junk" / "data.bin").write_bytes(b"\x00" * 64)
    return str(tmp / "junk")


def _truncated_video(tmp: Path) -> str:
    data = _video_bytes(tmp)
    (tmp / "cut.mp4").write_bytes(data[: len(data) // 3])
    return str(tmp / "cut.mp4")


def _artifact_copy(edit: Callable[[Path], None]) -> Setup:
    def setup(tmp: Path, art: Path) -> list[str]:
        copy = tmp / "art"
        shutil.copytree(art, copy)
        edit(copy)
        return ["verify", str(copy)]
    return setup


def _manifest_edit(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        doc = json.loads((folder / "manifest.json").read_text())
        change(doc)
        (folder / "manifest.json").write_text(json.dumps(doc))
    return edit


def _corrupt_onnx(folder: Path) -> None:
    f = folder / json.loads((folder / "manifest.json").read_text())["precisions"]["fp32"]["file"]
    f.write_bytes(f.read_bytes()[:200])


def _rehash(folder: Path) -> None:
    """Make the manifest's hashes match whatever files are there now (a careful attacker)."""
    doc = json.loads((folder / "manifest.json").read_text())
    for name, entry in doc["files"].items():
        entry["sha256"] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(doc))


def _external_data_outside(folder: Path) -> None:
    """An initializer whose external data lies outside the artifact folder."""
    import onnx

    doc = json.loads((folder / "manifest.json").read_text())
    f = folder / doc["precisions"]["fp32"]["file"]
    model = onnx.load(str(f))
    init = model.graph.initializer[0]
    init.ClearField("raw_data")
    init.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", "../../secret.bin"), ("offset", "0"), ("length", "4")):
        entry = init.external_data.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(f))
    _rehash(folder)


class _Evil:
    def __reduce__(self):  # what a malicious checkpoint does on a plain pickle.load
        return (Path.touch, (Path(self.marker),))


def _pickle_with_code(tmp: Path, art: Path) -> list[str]:
    evil = _Evil()
    evil.marker = str(tmp / "PWNED")  # type: ignore[attr-defined]
    (tmp / "evil.pt").write_bytes(pickle.dumps({"model": evil}))
    return ["eval", str(tmp / "evil.pt"), "--data", str(tmp)]


def _cmyk_jpeg(p: Path) -> None:
    Image.fromarray(_rgb()).convert("CMYK").save(p, "JPEG")


def _huge_png(p: Path) -> None:
    # 12000 x 12000 grey: tiny on disk, 432 MB once decoded as RGB
    Image.new("L", (12000, 12000)).save(p, "PNG")


OK_CASES: dict[str, Setup] = {
    "greyscale png": _upscale("g.png", lambda p: cv2.imwrite(str(p), cv2.cvtColor(_rgb(), cv2.COLOR_RGB2GRAY))),
    "rgba png": _upscale("a.png", lambda p: Image.fromarray(_rgb()).convert("RGBA").save(p)),
    "16-bit png": _upscale("d.png", lambda p: cv2.imwrite(str(p), _rgb().astype(np.uint16) * 257)),
    "palette png": _upscale("p.png", lambda p: Image.fromarray(_rgb()).convert("P").save(p)),
    "cmyk jpeg": _upscale("c.jpg", _cmyk_jpeg),
    "1x1 png": _upscale("one.png", lambda p: cv2.imwrite(str(p), np.full((1, 1, 3), 90, np.uint8))),
}

BAD_CASES: dict[str, tuple[Setup, str]] = {
    "text file named .png": (_upscale("t.png", lambda p: p.write_text("hello")), "not a readable image"),
    "zero-byte png": (_upscale("z.png", lambda p: p.write_bytes(b"")), "not a readable image"),
    "missing image": (lambda t, a: ["upscale", str(t / "nope.png"), "--out", str(t / "out")], "not found"),
    "12000x12000 image": (_upscale("huge.png", _huge_png), "megapixels"),
    "zero-byte video": (_stream_input(_write_file("z.mp4", b"")), "video"),
    "text file as video": (_stream_input(_write_file("t.mp4", b"not a video\n" * 50)), "video"),
    "truncated video": (_stream_input(_truncated_video), "video"),
    "image folder of junk": (_stream_input(_junk_folder), "no images"),
    "unknown uri scheme": (_stream_input(lambda t: "gopher://example.org/x"), "scheme"),
    "bad port": (_stream_input(lambda t: "rtsp://127.0.0.1:99999/live"), "port"),
    "unreachable host": (_stream_input(lambda t: "http://127.0.0.1:9/never"), "cannot"),
    "bad output port": (lambda t, a: ["stream", "--model", str(a), "--output", "http://127.0.0.1:0x1/", "--frames", "2"],
                        "port"),
    "corrupt onnx": (_artifact_copy(_corrupt_onnx), "sha256"),
    "onnx of another model": (_artifact_copy(lambda f: (_corrupt_onnx(f), _rehash(f))), "onnx"),
    "external data outside the folder": (_artifact_copy(_external_data_outside), "external data outside"),
    "manifest wrong hash": (_artifact_copy(_manifest_edit(
        lambda d: d["files"][d["precisions"]["fp32"]["file"]].update(sha256="0" * 64))), "sha256"),
    "manifest wrong types": (_artifact_copy(_manifest_edit(lambda d: d.update(files=["model.onnx"]))), "malformed"),
    "manifest missing keys": (_artifact_copy(_manifest_edit(lambda d: d.pop("card"))), "manifest"),
    "manifest unknown version": (_artifact_copy(_manifest_edit(lambda d: d.update(schema=99))), "schema"),
    "manifest not json": (_artifact_copy(lambda f: (f / "manifest.json").write_text("{nope")), "manifest"),
    "pickle with code": (_pickle_with_code, "checkpoint"),
    "negative size": (lambda t, a: ["stream", "--model", str(a), "--size", "-64x48", "--frames", "2",
                                    "--output", "null://"], "size"),
    "scale 0": (lambda t, a: ["stream", "--scale", "0", "--frames", "2", "--output", "null://"], "scale"),
    "unknown precision": (lambda t, a: ["stream", "--model", str(a), "--precision", "int3", "--output", "null://"],
                          "precision"),
    "unknown model": (lambda t, a: ["export", "espcn-x7"], "espcn"),
    "bench unknown backend": (lambda t, a: ["bench", "espcn-x2", "--backends", "warp-drive"], "backend"),
    "bench bad size": (lambda t, a: ["bench", "espcn-x2", "--sizes", "0x0"], "size"),
    "generate n 0": (lambda t, a: ["generate", "dcgan-faces", "--n", "0", "--out", str(t / "g.png")], "--n"),
    "edit unknown direction": (lambda t, a: ["edit", "vae-faces", "--direction", "wings", "--out", str(t / "e.png")],
                               "wings"),
}


@pytest.mark.parametrize("case", list(OK_CASES))
def test_odd_but_valid_images_are_converted(case: str, tmp_path: Path, espcn_artifact: Path) -> None:
    r = run_vgx(*OK_CASES[case](tmp_path, espcn_artifact))
    assert r.returncode == 0, r.stderr
    sr = cv2.imread(str(next((tmp_path / "out").glob("*_sr.png"))))
    assert sr is not None and sr.ndim == 3 and sr.shape[2] == 3


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_broken_input_is_one_clear_line(case: str, tmp_path: Path, espcn_artifact: Path) -> None:
    setup, expected = BAD_CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    args = setup(work, espcn_artifact)
    keep = work / "out"  # an earlier run's output: must survive the failure untouched
    keep.mkdir(exist_ok=True)
    (keep / "earlier_sr.png").write_bytes(b"earlier result")
    (keep / "o.mp4").write_bytes(b"earlier video")
    before = _digest(keep)
    t0 = time.monotonic()
    r = run_vgx(*args, timeout=120)
    assert r.returncode != 0, f"{case}: exit 0\n{r.stdout}"
    err = r.stderr.strip()
    assert "Traceback" not in r.stderr and err, f"{case}: {r.stderr}"
    assert len(err.splitlines()) == 1, f"{case}: not one line:\n{err}"
    assert expected.lower() in err.lower(), f"{case}: {err}"
    assert _digest(keep) == before, f"{case}: damaged an existing output"
    assert time.monotonic() - t0 < 60, f"{case}: took too long (a hang?)"
    assert not (work / "PWNED").exists()
