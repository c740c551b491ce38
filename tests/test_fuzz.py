"""Property fuzzing of what vgx parses from outside: URIs, manifests, images, ONNX bytes.

Each parser either returns a well-formed value or raises VgxError (one clear line); any
other exception is a bug. CI runs a few hundred examples per property; the long run is
    HYPOTHESIS_PROFILE=fuzz [FUZZ_EXAMPLES=20000] pytest tests/test_fuzz.py      (minutes per property)
and every failure it finds is pinned below as an explicit example.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vgx import manifest as mf
from vgx.errors import VgxError
from vgx.images import demo_images, load_rgb
from vgx.runtime.uri import INPUT_SCHEMES, OUTPUT_SCHEMES, host_port, parse

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 20_000)), deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

uri_text = st.one_of(
    st.text(max_size=80),
    st.builds(lambda s, rest: f"{s}://{rest}", st.sampled_from(INPUT_SCHEMES + OUTPUT_SCHEMES + ("ftp", "")),
              st.text(max_size=60)),
    st.builds(lambda h, p: f"rtsp://{h}:{p}/x", st.text(max_size=20), st.text(max_size=8)),
)


@given(uri_text)
@example("rtsp://127.0.0.1:99999/live")  # a port out of range reached OpenCV before the parser caught it
@example("http://:80/")
@example("file://\x00")
def test_uri_parser_returns_or_refuses_cleanly(text: str) -> None:
    for kinds in (INPUT_SCHEMES, OUTPUT_SCHEMES):
        try:
            uri = parse(text, kinds)
        except VgxError:
            continue
        assert uri.scheme in kinds
        if uri.scheme == "http":
            try:
                host, port = host_port(uri.location)
            except VgxError:
                continue
            assert 0 < port < 65536


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=20)


@pytest.fixture(scope="module")
def real_manifest(espcn_artifact: Path) -> dict:
    return json.loads((espcn_artifact / mf.NAME).read_text())


@given(key_path=st.lists(st.text(max_size=12), min_size=1, max_size=3), value=json_values)
@example(key_path=["files"], value=["model.onnx"])  # wrong type for files: was a TypeError
@example(key_path=["precisions", "fp32", "file"], value="../../etc/passwd")
@example(key_path=["card"], value="espcn")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_manifest_loader_refuses_any_mangling_cleanly(real_manifest: dict, espcn_artifact: Path, tmp_path: Path,
                                                      key_path: list[str], value: object) -> None:
    doc = json.loads(json.dumps(real_manifest))
    node = doc
    for k in key_path[:-1]:  # follow existing keys where they exist, otherwise graft new ones
        node = node.setdefault(k, {}) if isinstance(node, dict) else {}
    if isinstance(node, dict):
        node[key_path[-1]] = value
    folder = tmp_path / "art"
    folder.mkdir(exist_ok=True)
    for f in espcn_artifact.iterdir():
        if f.name != mf.NAME and not (folder / f.name).exists():
            shutil.copy(f, folder / f.name)
    (folder / mf.NAME).write_text(json.dumps(doc))
    try:
        m = mf.read(folder)
        for info in m["precisions"].values():
            mf.verified_path(folder, m, info["file"])
    except VgxError:
        pass


def _encoded(ext: str) -> bytes:
    ok, buf = cv2.imencode(ext, demo_images()["coffee"][:24, :32, ::-1])
    assert ok
    return buf.tobytes()


SEEDS = [_encoded(".png"), _encoded(".jpg"), _encoded(".bmp"), _encoded(".webp")]


@given(seed=st.sampled_from(SEEDS), cuts=st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=8)), max_size=6),
       truncate=st.integers(0, 4000), suffix=st.sampled_from([".png", ".jpg", ".bmp", ".webp", ".tif"]))
@example(seed=SEEDS[0], cuts=[], truncate=0, suffix=".png")  # zero bytes
@example(seed=SEEDS[2], cuts=[(16, b"\x00\x00\x00\x00\x11")], truncate=50, suffix=".png")  # found by fuzzing:
# a BMP header claiming a huge width made cv2.imdecode raise cv2.error instead of returning None
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_image_loader_decodes_or_refuses_cleanly(tmp_path: Path, seed: bytes, cuts: list[tuple[int, bytes]],
                                                 truncate: int, suffix: str) -> None:
    data = bytearray(seed)
    for at, junk in cuts:
        data[at % max(1, len(data)) : at % max(1, len(data)) + len(junk)] = junk
    data = data[: truncate] if truncate < len(data) else data
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(bytes(data))
    try:
        img = load_rgb(path)
    except VgxError:
        return
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


@given(st.binary(max_size=300), st.text(max_size=40))
@example(b"", "../../secret.bin")
def test_external_data_scan_never_crashes_and_finds_planted_paths(noise: bytes, location: str) -> None:
    raw = location.encode()
    planted = noise + b"\n\x08location\x12" + bytes([len(raw)]) + raw if len(raw) < 128 else noise
    found = mf.external_data_locations(planted)
    assert all(isinstance(f, str) for f in found)
    if len(raw) < 128 and b"location" not in noise:  # (noise holding a marker of its own may swallow ours)
        assert location.encode("utf-8", "replace").decode("utf-8", "replace") in found


def test_external_data_inside_the_folder_is_accepted(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((4,), np.float32), "w")
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [w])
    model = helper.make_model(graph)
    onnx.save(model, str(tmp_path / "m.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    assert mf.external_data_locations((tmp_path / "m.onnx").read_bytes()) == ["weights.bin"]
    assert mf.inside(tmp_path, "weights.bin") == (tmp_path / "weights.bin").resolve()
