"""Engines are bound to a TensorRT version and a GPU: the runtime says which and how to rebuild."""

from __future__ import annotations

import pytest

from vgx.environment import engine_tag
from vgx.errors import VgxError
from vgx.runtime import engine_files as engines


def _entry(trt: str = "10.3.0", cc: str = "8.7", vc: bool = False) -> dict:
    return {"file": f"model.{engine_tag('fp16', trt, cc)}.engine", "precision": "fp16", "tensorrt": trt,
            "compute_capability": cc, "version_compatible": vc}


def test_engine_tag_names_precision_version_and_gpu() -> None:
    assert engine_tag("fp16", "10.3.0.30", "8.7") == "fp16.trt10.3.sm87"


def test_compatibility_rules() -> None:
    assert engines.compatible(_entry(), "10.3.0", "8.7") is None
    assert engines.compatible(_entry(), "10.3.1", "8.7") is None  # same major.minor
    assert "sm87" in engines.compatible(_entry(), "10.3.0", "9.0")  # another GPU
    assert "TensorRT 10.13" in engines.compatible(_entry(), "10.13.0", "8.7")  # another TensorRT
    assert engines.compatible(_entry(vc=True), "10.13.0", "8.7") is None  # version-compatible: newer 10.x runs it
    assert engines.compatible(_entry(vc=True), "11.0.0", "8.7") is not None


def test_pick_engine_explains_how_to_rebuild(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(engines, "tensorrt_version", lambda: "10.13.0")
    monkeypatch.setattr(engines, "gpu_compute_capability", lambda: "9.0")
    manifest = {"card": {"name": "espcn-x2"}, "engines": {"e": _entry()}, "files": {}}
    with pytest.raises(VgxError, match=r"built for TensorRT 10.3.0 on sm87.*vgx export espcn-x2 --fp16 --engine"):
        engines.pick_engine(tmp_path, manifest, "fp16")


def test_pick_engine_tells_the_carried_norm_engine_from_the_plain_one(monkeypatch, tmp_path) -> None:
    from vgx import manifest as mf

    monkeypatch.setattr(engines, "tensorrt_version", lambda: "10.3.0")
    monkeypatch.setattr(engines, "gpu_compute_capability", lambda: "8.7")
    plain, carried, frames = _entry(), _entry(), _entry()
    carried.update(file=plain["file"].replace(".engine", ".carried.engine"), carried=True)
    frames.update(file=plain["file"].replace(".engine", ".frames.engine"), frame_io=True)
    for entry in (plain, carried, frames):
        (tmp_path / entry["file"]).write_bytes(entry["file"].encode())
    manifest = {"card": {"name": "style-udnie"}, "engines": {e["file"]: e for e in (frames, carried, plain)}}
    mf.record_files(tmp_path, manifest)
    assert engines.pick_engine(tmp_path, manifest, "fp16").name == plain["file"]
    assert engines.pick_engine(tmp_path, manifest, "fp16", carried=True).name == carried["file"]
    del manifest["engines"][carried["file"]]
    with pytest.raises(VgxError, match="no fp16 carried-norm engine"):
        engines.pick_engine(tmp_path, manifest, "fp16", carried=True)


def test_no_tensorrt_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(engines, "tensorrt_version", lambda: None)
    with pytest.raises(VgxError, match="pip install 'vgx\\[trt\\]'"):
        engines.pick_engine(tmp_path, {"card": {"name": "x"}, "engines": {}}, "fp32")


@pytest.mark.parametrize(("target", "reduce_range", "vnni", "says"), [
    ("cpu", False, True, None), ("cpu", True, False, None), ("cpu", False, False, "re-export it here"),
    ("gpu", None, True, "--int8-target cpu")])
def test_int8_models_say_when_they_were_quantized_for_another_machine(monkeypatch, target, reduce_range, vnni, says) -> None:
    import vgx.environment
    from vgx.runtime.backends import _int8_notes

    monkeypatch.setattr(vgx.environment, "cpu_has_vnni", lambda: vnni)
    manifest = {"precisions": {"int8": {"quantization": {"target": target, "reduce_range": reduce_range}}}}
    notes = _int8_notes(manifest, "int8", "ort-cpu")
    assert (says in notes[0]) if says else notes == []
    assert _int8_notes(manifest, "fp32", "ort-cpu") == []
