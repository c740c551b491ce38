"""`vgx serve`: vgx artifacts on a real Triton Inference Server, without Docker (PyTriton).

PyTriton starts the Triton server it bundles and routes each model's requests to a Python
function here; that function runs the model through the runtime's own backends (ORT
CPU/CUDA, TensorRT: `Enhancer`), so what clients reach is a real Triton endpoint, the same
client path as a production Triton serving `vgx export --triton` repositories: inputs
`frames` (uint8 N x H x W x 3 BGR), outputs `frames_out` and `vgx_id` (the sha256 of the
artifact's frames twin, which `--backend triton://` checks). Dynamic batching is on;
requests of different frame sizes in one batch are run as separate groups.

A style model is also served as `NAME-carried`: its carried-norm graph's uint8 twin on ONNX
Runtime, the norms' statistics in (`norm_state`, `norm_keep`) and out (`norm_state_out`) with
each request, so each client stream keeps its own (runtime/norm_carry.py). Its requests are not
batched together: one stream's state is one request's.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vgx.errors import VgxError

from .enhancer import ORT_BACKENDS, Enhancer
from .norm_carry import KEEP_INPUT, STATE_INPUT, STATE_OUTPUT
from .triton_runner import FRAMES_IN, FRAMES_OUT, ID_OUTPUT, carried_model


@dataclass
class ServeOptions:
    models: list[str]
    port: int = 8001  # gRPC: what `--backend triton://HOST:PORT` takes
    http_port: int | None = None  # default port - 1 (Triton's usual 8000 beside 8001)
    bind: str = "127.0.0.1"
    precision: str = "fp32"
    backend: str = "auto"
    max_batch: int = 8
    queue_delay_us: int = 2000
    threads: int | None = None


def python_library_path() -> None:
    """PyTriton's Python-backend stub links libpython at run time; an interpreter built with a
    shared libpython outside the system's library path (pyenv, conda, uv) must be found first,
    or the stub loads the system's libpython of another patch release and fails to start."""
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and sysconfig.get_config_var("Py_ENABLE_SHARED") and Path(libdir).is_dir():
        paths = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
        if libdir not in paths:
            os.environ["LD_LIBRARY_PATH"] = ":".join([libdir, *paths])


def _digest(enh: Enhancer, file: str) -> np.ndarray:
    """The sha256 the manifest records for one of the artifact's files, as the 32 bytes of `vgx_id`."""
    return np.frombuffer(bytes.fromhex(enh.manifest["files"][file]["sha256"]), np.uint8)


def infer_function(enh: Enhancer, precision: str) -> Callable[[list[dict[str, np.ndarray]]], list[dict[str, np.ndarray]]]:
    """PyTriton's batch of requests -> responses; same-size requests run as one batch."""
    twin = enh.manifest["precisions"].get(precision, {}).get("frame_io")
    if twin is None:
        raise VgxError(f"{enh.card.name} has no {precision} uint8 frames model to serve: use fp32 or fp16")
    digest = _digest(enh, twin["file"])

    def infer(requests: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(r[FRAMES_IN].shape[1:], []).append(i)
        out: list[dict[str, np.ndarray]] = [{} for _ in requests]
        for idx in groups.values():
            frames = [f for i in idx for f in requests[i][FRAMES_IN]]
            results = iter(enh.enhance_batch(frames))
            for i in idx:
                n = len(requests[i][FRAMES_IN])
                out[i] = {FRAMES_OUT: np.stack([next(results) for _ in range(n)]), ID_OUTPUT: np.tile(digest, (n, 1))}
        return out

    return infer


def carried_function(runner: Any, digest: np.ndarray) -> Callable[[list[dict[str, np.ndarray]]], list[dict[str, np.ndarray]]]:
    """The carried twin's requests, one at a time: each brings its stream's statistics."""
    def infer(requests: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        out = []
        for r in requests:
            res = runner.infer({FRAMES_IN: r[FRAMES_IN], STATE_INPUT: r[STATE_INPUT], KEEP_INPUT: r[KEEP_INPUT]})
            out.append({FRAMES_OUT: res[FRAMES_OUT], STATE_OUTPUT: res[STATE_OUTPUT],
                        ID_OUTPUT: np.tile(digest, (len(r[FRAMES_IN]), 1))})
        return out

    return infer


def carried_runner(enh: Enhancer, precision: str, log: Callable[[str], None]) -> tuple[Any, np.ndarray, int] | None:
    """(ORT runner on the carried graph's uint8 twin, its sha256 as bytes, state size) for a style
    artifact served on an ONNX Runtime backend; None (said why, for a style model) otherwise."""
    entry = enh.manifest["precisions"].get(precision, {}).get("carried")
    if entry is None or "frame_io" not in entry:
        if enh.card.task == "style":
            log(f"{enh.card.name}: no {precision} carried-norm uint8 twin (re-export it): clients get per-frame norms")
        return None
    if enh.choice.backend not in ORT_BACKENDS:
        log(f"{enh.card.name}: carried norms are served on ONNX Runtime, not {enh.choice.backend}: clients get per-frame norms")
        return None
    from vgx import manifest as mf

    from .ort_runner import ORTRunner

    file = entry["frame_io"]["file"]
    runner = ORTRunner(mf.verified_path(enh.folder, enh.manifest, file), enh.choice.backend, threads=enh.threads)
    return runner.__enter__(), _digest(enh, file), int(entry["state_size"])


def serve(opts: ServeOptions, log: Callable[[str], None] = print, ready: Callable[[Any], None] | None = None) -> None:
    """Blocks serving until Ctrl-C / SIGTERM (or, with `ready`, until that callback returns)."""
    try:
        from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
        from pytriton.triton import DEFAULT_PROTECTED_ENDPOINTS, Triton, TritonConfig, TritonSecurityConfig
    except ImportError:
        raise VgxError("vgx serve needs PyTriton: pip install 'vgx[serve]' (nvidia-pytriton bundles the Triton server)") from None
    python_library_path()
    http_port = opts.http_port or opts.port - 1
    config = TritonConfig(grpc_port=opts.port, http_port=http_port, metrics_port=opts.port + 1,
                          grpc_address=opts.bind, http_address=opts.bind, log_verbose=0, exit_timeout_secs=5)
    # PyTriton guards system shared memory with a token; vgx clients on this host may use it when
    # the server listens on loopback only (a remote client could otherwise map this host's regions)
    local = opts.bind.startswith("127.") or opts.bind in ("localhost", "::1")
    guarded = [e for e in DEFAULT_PROTECTED_ENDPOINTS if not (local and e == "shared-memory")]
    enhancers = [Enhancer(m, opts.precision, opts.backend, threads=opts.threads, log=log) for m in opts.models]
    for enh in enhancers:
        enh.__enter__()
    carried = {enh.card.name: c for enh in enhancers if (c := carried_runner(enh, opts.precision, log)) is not None}
    try:
        with Triton(config=config, security_config=TritonSecurityConfig(restricted_endpoints=guarded)) as triton:
            for enh in enhancers:
                triton.bind(model_name=enh.card.name, infer_func=infer_function(enh, opts.precision),
                            inputs=[Tensor(name=FRAMES_IN, dtype=np.uint8, shape=(-1, -1, 3))],
                            outputs=[Tensor(name=FRAMES_OUT, dtype=np.uint8, shape=(-1, -1, 3)),
                                     Tensor(name=ID_OUTPUT, dtype=np.uint8, shape=(32,))],
                            config=ModelConfig(max_batch_size=opts.max_batch,
                                               batcher=DynamicBatcher(max_queue_delay_microseconds=opts.queue_delay_us)),
                            strict=False)
                log(f"serving {enh.card.name} ({enh.choice.backend}, {enh.choice.precision}) as Triton model "
                    f"{enh.card.name!r}")
                if enh.card.name in carried:
                    runner, digest, size = carried[enh.card.name]
                    frames = (-1, -1, -1, 3)  # unbatched: the whole request's shape
                    triton.bind(model_name=carried_model(enh.card.name), infer_func=carried_function(runner, digest),
                                inputs=[Tensor(name=FRAMES_IN, dtype=np.uint8, shape=frames),
                                        Tensor(name=STATE_INPUT, dtype=np.float32, shape=(-1, size)),
                                        Tensor(name=KEEP_INPUT, dtype=np.float32, shape=(1,))],
                                outputs=[Tensor(name=FRAMES_OUT, dtype=np.uint8, shape=frames),
                                         Tensor(name=STATE_OUTPUT, dtype=np.float32, shape=(-1, size)),
                                         Tensor(name=ID_OUTPUT, dtype=np.uint8, shape=(-1, 32))],
                                config=ModelConfig(batching=False), strict=False)
                    log(f"serving its carried-norm twin as {carried_model(enh.card.name)!r} (per-stream statistics)")
            log(f"Triton on {opts.bind}: gRPC {opts.port} (vgx stream --backend triton://{opts.bind}:{opts.port}), "
                f"HTTP {http_port} (triton+http://{opts.bind}:{http_port}), metrics {opts.port + 1}; Ctrl-C stops")
            if ready is not None:
                triton.run()
                ready(triton)
            else:
                triton.serve()
    finally:
        for runner, _, _ in carried.values():
            runner.__exit__(None, None, None)
        for enh in enhancers:
            enh.__exit__(None, None, None)
