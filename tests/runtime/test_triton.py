"""Triton, for real on 127.0.0.1: `vgx serve` (PyTriton's bundled server) serving espcn-x2, the
triton:// backend against local ONNX Runtime, concurrent clients, a server restarted mid-stream,
a model-hash mismatch, and the repository `vgx export --triton` writes, parsed by Triton's schema;
a style model's carried norms through its served carried-norm twin, each client its own state."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, run_vgx, write_video
from vgx.errors import VgxError

pytest.importorskip("pytriton", reason="vgx[serve] (nvidia-pytriton) is not installed")
pytest.importorskip("tritonclient.grpc", reason="vgx[serve] (tritonclient) is not installed")


def free_port() -> int:
    """A port p with p - 1 (HTTP) and p + 1 (metrics) free too."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if 1024 < p < 65000 and all(_free(q) for q in (p - 1, p + 1)):
            return p
    raise RuntimeError("no free port")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def start_server(artifact: Path, port: int, model: str = "espcn-x2") -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "vgx", "serve", str(artifact), "--port", str(port), "--threads", "1"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    import tritonclient.grpc as grpc

    client = grpc.InferenceServerClient(f"127.0.0.1:{port}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vgx serve exited with {proc.returncode}")
        try:
            if client.is_model_ready(model):
                return proc
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError("vgx serve did not become ready in 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the server and its Triton child, at once (a crash)
        proc.wait(30)


@pytest.fixture(scope="module")
def server(espcn_artifact: Path) -> Iterator[int]:
    port = free_port()
    proc = start_server(espcn_artifact, port)
    yield port
    stop_server(proc)


def frames(n: int = 6, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [(rng.random((size[1], size[0], 3)) * 255).astype(np.uint8) for _ in range(n)]


def local(artifact: Path, batch: list[np.ndarray]) -> list[np.ndarray]:
    from vgx.runtime import Enhancer

    with Enhancer(artifact, backend="ort-cpu") as enh:
        return [enh(f) for f in batch]


def test_the_triton_backend_equals_local_onnx_runtime(server: int, espcn_artifact: Path) -> None:
    from vgx.runtime import Enhancer

    batch = frames()
    want = local(espcn_artifact, batch)
    for query in ("", "?shm=1"):
        with Enhancer(espcn_artifact, backend=f"triton://127.0.0.1:{server}{query}") as enh:
            got = [enh(f) for f in batch]
            odd = enh(np.ascontiguousarray(batch[0][:45, :61]))  # not a multiple of anything: padded and cropped
        assert all(np.abs(g.astype(int) - w).max() <= 1 for g, w in zip(got, want)), query
        assert odd.shape == (90, 122, 3)
    with Enhancer(espcn_artifact, backend=f"triton+http://127.0.0.1:{server - 1}") as enh:
        assert np.abs(enh(batch[0]).astype(int) - want[0]).max() <= 1


def test_vgx_stream_through_triton_writes_what_local_ort_writes(server: int, espcn_artifact: Path, tmp_path: Path) -> None:
    clip = write_video(tmp_path / "in.mp4", frames=8)
    for backend, out in ((f"triton://127.0.0.1:{server}", "t"), ("ort-cpu", "l")):
        r = run_vgx("stream", "-i", str(clip), "-m", str(espcn_artifact), "--backend", backend, "-o", str(tmp_path / out))
        assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert len(names) == 8 and names == sorted(p.name for p in (tmp_path / "l").iterdir())
    import cv2

    for n in names:
        a, b = cv2.imread(str(tmp_path / "t" / n)), cv2.imread(str(tmp_path / "l" / n))
        assert np.abs(a.astype(int) - b).max() <= 1, n


def test_four_concurrent_clients(server: int, espcn_artifact: Path) -> None:
    from vgx.runtime import Enhancer

    batch = frames(4)
    want = local(espcn_artifact, batch)
    results: dict[int, list[np.ndarray]] = {}

    def client(k: int) -> None:
        with Enhancer(espcn_artifact, backend=f"triton://127.0.0.1:{server}") as enh:
            results[k] = [enh(f) for f in batch for _ in range(3)][::3]

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == [0, 1, 2, 3]
    assert all(np.abs(g.astype(int) - w).max() <= 1 for r in results.values() for g, w in zip(r, want))


def test_a_served_model_that_is_not_the_local_artifact_is_refused(server: int, espcn_artifact: Path, tmp_path: Path) -> None:
    from vgx.runtime import Enhancer

    other = tmp_path / "other"
    shutil.copytree(espcn_artifact, other)
    manifest = json.loads((other / "manifest.json").read_text())
    twin = manifest["precisions"]["fp32"]["frame_io"]["file"]
    manifest["files"][twin]["sha256"] = "0" * 64  # as if the local model were another export
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(VgxError, match="is not this artifact"), Enhancer(other, backend=f"triton://127.0.0.1:{server}") as enh:
        enh(frames(1)[0])


def test_the_client_rides_out_a_server_restart(espcn_artifact: Path) -> None:
    from vgx.runtime import Enhancer

    port = free_port()
    proc = start_server(espcn_artifact, port)
    batch = frames(2)
    want = local(espcn_artifact, batch)
    try:
        with Enhancer(espcn_artifact, backend=f"triton://127.0.0.1:{port}?retry=120") as enh:
            assert np.abs(enh(batch[0]).astype(int) - want[0]).max() <= 1
            stop_server(proc)
            restarted: dict[str, subprocess.Popen[bytes]] = {}
            t = threading.Thread(target=lambda: restarted.update(p=start_server(espcn_artifact, port)))
            t.start()
            got = enh(batch[1])  # waits (backing off) until the new server answers
            t.join(150)
            proc = restarted["p"]
            assert np.abs(got.astype(int) - want[1]).max() <= 1
            assert enh.runner.gaps == 1
    finally:
        stop_server(proc)


def test_no_server_is_a_one_line_error(espcn_artifact: Path, tmp_path: Path) -> None:
    r = run_vgx("stream", "-i", "demo://?frames=2", "-m", str(espcn_artifact), "--backend",
                f"triton://127.0.0.1:{free_port()}", "-o", str(tmp_path / "o.mp4"))
    assert r.returncode == 2 and "no Triton server" in r.stderr.strip().splitlines()[-1] and "Traceback" not in r.stderr


def test_export_writes_a_repository_triton_parses(tmp_path: Path) -> None:
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    r = run_vgx("export", "espcn-x2", "--fp16", "--out", str(tmp_path / "a"), "--triton", str(tmp_path / "repo"))
    assert r.returncode == 0, r.stderr
    model = tmp_path / "repo" / "espcn-x2"
    config = text_format.Parse((model / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    assert config.platform == "onnxruntime_onnx" and config.max_batch_size == 8
    assert config.HasField("dynamic_batching") and list(config.input[0].dims) == [-1, -1, 3]
    assert config.input[0].data_type == model_config_pb2.TYPE_UINT8
    accel = config.optimization.execution_accelerators.gpu_execution_accelerator[0]
    assert accel.name == "tensorrt" and accel.parameters["precision_mode"] == "FP16"
    manifest = json.loads((model / "vgx_manifest.json").read_text())
    assert json.loads(config.parameters["vgx_card"].string_value)["name"] == "espcn-x2"
    import onnxruntime as ort

    sess = ort.InferenceSession(str(model / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    out, ident = sess.run(None, {"frames": np.zeros((2, 16, 16, 3), np.uint8)})
    assert out.shape == (2, 32, 32, 3) and ident.shape == (2, 32)
    assert bytes(ident[1]).hex() == manifest["files"]["model.fp16.frames.onnx"]["sha256"]
    r = run_vgx("export", "espcn-x2", "--out", str(tmp_path / "b"), "--triton", str(tmp_path / "repo"),
                "--triton-device", "tpu")
    assert r.returncode == 2 and "--triton-device" in r.stderr


def test_a_frames_engine_is_served_as_a_tensorrt_plan_named_by_its_config(espcn_artifact: Path, tmp_path: Path) -> None:
    """Where export built engines of the frames twin (on a GPU), the repository serves them as
    tensorrt_plan per compute capability, and the client reads the plan's identity from the config."""
    import hashlib

    from google.protobuf import json_format, text_format
    from tritonclient.grpc import model_config_pb2

    from vgx.export.triton_repo import TritonOptions, write_triton_repo
    from vgx.runtime.triton_runner import config_identity

    art = tmp_path / "art"
    shutil.copytree(espcn_artifact, art)
    manifest = json.loads((art / "manifest.json").read_text())
    plan = b"a serialized engine, as TensorRT would write it"
    name = "model.fp32.trt10.3.sm87.frames.engine"
    (art / name).write_bytes(plan)
    manifest["files"][name] = {"sha256": hashlib.sha256(plan).hexdigest(), "bytes": len(plan)}
    manifest["engines"][name] = {"file": name, "precision": "fp32", "compute_capability": "8.7", "frame_io": True,
                                 "tensorrt": "10.3.0"}
    (art / "manifest.json").write_text(json.dumps(manifest))
    model = write_triton_repo(art, TritonOptions(tmp_path / "repo"), log=lambda s: None)
    config = text_format.Parse((model / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    assert config.platform == "tensorrt_plan" and dict(config.cc_model_filenames) == {"8.7": name}
    assert (model / "1" / name).read_bytes() == plan and not (model / "1" / "model.onnx").exists()
    twin_sha = manifest["files"][manifest["precisions"]["fp32"]["frame_io"]["file"]]["sha256"]
    as_json = json_format.MessageToDict(config, preserving_proto_field_name=True)
    assert config_identity(as_json) == twin_sha  # what the client compares with its manifest
    onnx_repo = write_triton_repo(espcn_artifact, TritonOptions(tmp_path / "repo2"), log=lambda s: None)
    onnx_config = text_format.Parse((onnx_repo / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    assert config_identity(json_format.MessageToDict(onnx_config, preserving_proto_field_name=True)) is None


def test_a_style_stream_carries_its_norms_through_the_server_each_client_its_own(style_artifact: Path,
                                                                                 tmp_path: Path) -> None:
    """`vgx serve` a style model: its carried-norm twin is served beside it; two clients in turn on
    one server get what local ONNX Runtime gives with carried norms (each stream its own state),
    not the per-frame output; a repository from `vgx export --triton` holds the twin, unbatched."""
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    from vgx.export.triton_repo import TritonOptions, write_triton_repo
    from vgx.images import demo_images
    from vgx.runtime import Enhancer

    pan = [np.ascontiguousarray(demo_images()["astronaut"][100:148, 50 + 3 * i : 114 + 3 * i, ::-1]) for i in range(4)]
    with Enhancer(style_artifact, backend="ort-cpu") as enh:
        assert enh.carry_norms(0.9) is None
        want = [enh(f) for f in pan]
        enh.carry_norms(0.0)
        per_frame = enh(pan[3])
    port = free_port()
    proc = start_server(style_artifact, port, "style-udnie-slim-carried")
    try:
        for _client in range(2):  # the second starts afresh: the state lives with the stream, not the server
            with Enhancer(style_artifact, backend=f"triton://127.0.0.1:{port}") as enh:
                assert enh.carry_norms(0.9) is None
                got = [enh(f) for f in pan]
                assert enh.carry is not None and enh.carry.resets == 0
            assert all(np.abs(g.astype(int) - w).max() <= 1 for g, w in zip(got, want))
        assert np.abs(got[3].astype(int) - per_frame).max() > 1
    finally:
        stop_server(proc)
    model = write_triton_repo(style_artifact, TritonOptions(tmp_path / "repo"), log=lambda s: None)
    twin = model.parent / "style-udnie-slim-carried"
    config = text_format.Parse((twin / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    assert config.max_batch_size == 0 and [i.name for i in config.input] == ["frames", "norm_state", "norm_keep"]
    assert (twin / "1" / "model.onnx").is_file() and (model / "1" / "model.onnx").is_file()
