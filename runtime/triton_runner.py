"""A model on a Triton Inference Server as a runner: `--backend triton://HOST:PORT`.

The server runs the artifact's uint8 frame-I/O twin (`vgx export M --triton REPO`, or
`vgx serve M`), so frames travel as BGR bytes. gRPC by default (`triton://`, Triton's port
8001); `triton+http://HOST:PORT` speaks HTTP (port 8000), and gRPC falls back to HTTP on
`?http=PORT` when it cannot connect. `?shm=1` passes frames through system shared memory
(the server must be on this host). `?timeout=S` bounds each request (default 10 s).

One request is in flight per runner (the stream's inference thread waits for it), so a
slow server slows the stream instead of growing memory; a live stream's sources then drop
stale frames as usual. When the server goes away, requests are retried with back-off
(0.25 s doubling to 4 s, for up to `?retry=S`, default 30 s) and each outage is counted
in `gaps`. The first reply's `vgx_id` (or, for a TensorRT plan, which cannot carry that
output, the config's `vgx_sha256` parameter) must equal the sha256 that the local manifest
records for that twin, or the runner refuses the server in one line.

A style stream's carried norms (runtime/norm_carry.py) use a second served model,
`NAME-carried` (`carried_model`): the carried graph's uint8 twin, which takes the statistics as
inputs and returns them, so the state stays with the stream and the server stays stateless.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from vgx.errors import VgxError

ID_OUTPUT, FRAMES_IN, FRAMES_OUT = "vgx_id", "frames", "frames_out"


def carried_model(name: str) -> str:
    """The served name of a model's carried-norm twin (`vgx export --triton`, `vgx serve`)."""
    return f"{name}-carried"


def parse_uri(uri: str) -> dict[str, Any]:
    u = urlsplit(uri)
    if u.scheme not in ("triton", "triton+http") or not u.hostname:
        raise VgxError(f"--backend {uri!r}: use triton://HOST:PORT (gRPC) or triton+http://HOST:PORT")
    q = {k: v[-1] for k, v in parse_qs(u.query).items()}
    try:
        port = u.port or (8000 if u.scheme == "triton+http" else 8001)
        opts = {"host": u.hostname, "port": port, "http": u.scheme == "triton+http",
                "http_port": int(q["http"]) if "http" in q else None, "shm": q.get("shm", "0") == "1",
                "timeout": float(q.get("timeout", 10)), "retry": float(q.get("retry", 30))}
    except ValueError:
        raise VgxError(f"--backend {uri!r}: port, http, timeout and retry must be numbers") from None
    return opts


class TritonRunner:
    """Runner protocol over tritonclient; `infer` takes {"frames": N x H x W x 3 uint8} and any other
    float32 inputs the served model has (a carried-norm twin's state and keep), and returns
    `frames_out` and the `outputs` asked for."""

    def __init__(self, uri: str, model_name: str, expected_sha256: str, scale: int = 1,
                 outputs: tuple[str, ...] = ()) -> None:
        self.opts = parse_uri(uri)
        self.outputs = outputs  # returned beside frames_out (a carried-norm twin's norm_state_out)
        self.scale = scale  # output sides = scale x input sides (sizes the shared-memory output)
        self.uri, self.model, self.expected = uri, model_name, expected_sha256
        self.name = f"triton:{self.opts['host']}:{self.opts['port']}/{model_name}"
        self.client: Any = None
        self.api: Any = None
        self.checked = False
        self.id_output = True  # False for plans: identity comes from the config instead
        self.gaps = 0
        self._shm: dict[str, Any] = {}

    # -- connection ---------------------------------------------------------------------------
    def _connect(self, http: bool, port: int) -> None:
        try:
            if http:
                import tritonclient.http as api
            else:
                import tritonclient.grpc as api
        except ImportError as e:
            raise VgxError(f"the triton backend needs tritonclient: pip install 'vgx[serve]' (missing {e.name})") from None
        self.api = api
        self.client = api.InferenceServerClient(url=f"{self.opts['host']}:{port}", network_timeout=self.opts["timeout"]) \
            if http else api.InferenceServerClient(url=f"{self.opts['host']}:{port}")

    def __enter__(self) -> TritonRunner:
        o = self.opts
        self._connect(o["http"], o["port"])
        if not self._ready() and not o["http"] and o["http_port"]:
            self._connect(True, o["http_port"])  # gRPC blocked or absent: the same server over HTTP
        if not self._ready():
            raise VgxError(f"no Triton server with model {self.model!r} ready at {o['host']}:{o['port']} "
                           "(start one with `vgx serve MODEL` or tritonserver --model-repository REPO)")
        self._check_config()
        return self

    def _check_config(self) -> None:
        """A served model without the vgx_id output (a TensorRT plan) names itself in its config."""
        try:
            cfg = self.client.get_model_config(self.model, as_json=True) if not self.opts["http"] \
                else self.client.get_model_config(self.model)
        except Exception:  # noqa: BLE001 - PyTriton and Triton both answer; an old server may not: the reply check stays
            return
        sha = config_identity(cfg.get("config", cfg))
        if sha is not None:
            self.id_output = False
            self._refuse_unless(sha)

    def _refuse_unless(self, got: str) -> None:
        if got != self.expected:
            raise VgxError(f"the Triton server's {self.model!r} is not this artifact (sha256 {got[:12] or 'unknown'}, "
                           f"the local manifest says {self.expected[:12]}): export and serve the same model")
        self.checked = True

    def _ready(self) -> bool:
        try:
            return bool(self.client.is_server_live() and self.client.is_model_ready(self.model))
        except Exception:  # noqa: BLE001 - any transport failure means "not ready"
            return False

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for region in list(self._shm.values()):
            self._drop_region(region)
        self._shm.clear()
        if self.client is not None:
            with contextlib.suppress(Exception):  # closing a dead connection
                self.client.close()
        self.client = None

    @property
    def input_names(self) -> list[str]:
        return [FRAMES_IN]

    # -- inference ----------------------------------------------------------------------------
    def infer(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        frames = np.ascontiguousarray(feed[FRAMES_IN], dtype=np.uint8)
        extra = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feed.items() if k != FRAMES_IN}
        wait, deadline = 0.25, None
        while True:
            try:
                out = self._request(frames, extra)
                break
            except Exception as e:  # noqa: BLE001 - gRPC and HTTP fail differently; sorted below
                if not _unavailable(e, self.checked):
                    raise VgxError(f"Triton refused the request: {str(e).splitlines()[0][:200]}") from None
                now = time.monotonic()
                if deadline is None:
                    self.gaps += 1
                    deadline = now + self.opts["retry"]
                if now >= deadline:
                    raise VgxError(f"the Triton server at {self.opts['host']}:{self.opts['port']} stayed unreachable "
                                   f"for {self.opts['retry']:.0f} s") from None
                time.sleep(wait)
                wait = min(4.0, wait * 2)
                self._reset_shm()
        if not self.checked:
            self._refuse_unless(bytes(out[ID_OUTPUT][0]).hex())
        return {FRAMES_OUT: out[FRAMES_OUT], **{k: out[k] for k in self.outputs}}

    def _request(self, frames: np.ndarray, extra: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        api = self.api
        inp = api.InferInput(FRAMES_IN, list(frames.shape), "UINT8")
        others = []  # small float inputs (a stream's norm state) travel in the request itself, shm or not
        for name, value in extra.items():
            others.append(api.InferInput(name, list(value.shape), "FP32"))
            others[-1].set_data_from_numpy(value)
        outs = [api.InferRequestedOutput(FRAMES_OUT)] + ([api.InferRequestedOutput(ID_OUTPUT)] if self.id_output else []) \
            + [api.InferRequestedOutput(name) for name in self.outputs]
        if self.opts["shm"]:
            res, got = self._request_shm(frames, inp, others, outs)
        else:
            inp.set_data_from_numpy(frames)
            if self.opts["http"]:
                res = self.client.infer(self.model, [inp, *others], outputs=outs, timeout=int(self.opts["timeout"] * 1e6))
            else:
                res = self.client.infer(self.model, [inp, *others], outputs=outs, client_timeout=self.opts["timeout"])
            got = res.as_numpy(FRAMES_OUT)
        return {FRAMES_OUT: got, ID_OUTPUT: res.as_numpy(ID_OUTPUT) if self.id_output else None,
                **{name: res.as_numpy(name) for name in self.outputs}}

    # -- system shared memory -----------------------------------------------------------------
    def _region(self, role: str, size: int) -> Any:
        import tritonclient.utils.shared_memory as shm

        have = self._shm.get(role)
        if have is not None and have["size"] >= size:
            return have
        if have is not None:
            self._drop_region(have)
        name = f"vgx_{role}_{uuid.uuid4().hex[:12]}"
        handle = shm.create_shared_memory_region(name, f"/{name}", size)
        self.client.register_system_shared_memory(name, f"/{name}", size)
        self._shm[role] = {"name": name, "handle": handle, "size": size}
        return self._shm[role]

    def _drop_region(self, region: dict[str, Any]) -> None:
        import tritonclient.utils.shared_memory as shm

        with contextlib.suppress(Exception):  # the server may be gone; the local region still goes
            self.client.unregister_system_shared_memory(region["name"])
        shm.destroy_shared_memory_region(region["handle"])

    def _reset_shm(self) -> None:
        """After an outage the server forgot the registrations: make new regions on the next request."""
        import tritonclient.utils.shared_memory as shm

        for region in self._shm.values():
            shm.destroy_shared_memory_region(region["handle"])
        self._shm.clear()

    def _request_shm(self, frames: np.ndarray, inp: Any, others: list[Any], outs: list[Any]) -> tuple[Any, np.ndarray]:
        """(the reply, the output frames read from shared memory)."""
        import tritonclient.utils.shared_memory as shm

        n, h, w, _ = frames.shape
        scale = self.scale
        out_shape = (n, h * scale, w * scale, 3)
        rin = self._region("in", frames.nbytes)
        rout = self._region("out", int(np.prod(out_shape)))
        shm.set_shared_memory_region(rin["handle"], [frames])
        inp.set_shared_memory(rin["name"], frames.nbytes)
        outs[0].set_shared_memory(rout["name"], int(np.prod(out_shape)))
        res = self.client.infer(self.model, [inp, *others], outputs=outs, client_timeout=self.opts["timeout"])
        return res, shm.get_contents_as_numpy(rout["handle"], np.uint8, out_shape).copy()


def config_identity(cfg: dict[str, Any]) -> str | None:
    """None when the served model returns `vgx_id` (each reply proves it), else the sha256 its
    config names (a TensorRT plan), '' when it names none. `cfg`: Triton's model config as JSON."""
    outputs = cfg.get("output", [])
    if not outputs or any(o.get("name") == ID_OUTPUT for o in outputs):
        return None
    return str(cfg.get("parameters", {}).get("vgx_sha256", {}).get("string_value", ""))


def _unavailable(e: Exception, served_before: bool) -> bool:
    """Transport failures (server down or restarting) as opposed to a request the server refused.
    A model that is 'not found' after it has answered is a server still loading it."""
    if isinstance(e, (OSError, ConnectionError, TimeoutError)):
        return True
    status = getattr(e, "status", None)
    text = f"{status() if callable(status) else ''} {e}".lower()
    transient = ("unavailable", "connection", "failed to connect", "socket closed", "deadline", "timed out",
                 "reset by peer", "broken pipe", "not ready", "503", "502")
    return any(k in text for k in transient) or (served_before and ("not found" in text or "unknown model" in text))
