"""ONNX Runtime runner: TensorRT EP -> CUDA EP -> CPU, in that order of preference.

fp16 and int8 follow the ONNX file itself; TensorRT EP engine and timing caches go to a
cache folder so the second start is fast. On the CPU provider `optimize=False` runs a
QDQ graph as written (simulated quantization: exactly the arithmetic TensorRT implements,
free of the CPU int8 kernels' quirks).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from vgx.environment import check_onnxruntime
from vgx.errors import VgxError

PROVIDERS = {"ort-trt": "TensorrtExecutionProvider", "ort-cuda": "CUDAExecutionProvider", "ort-cpu": "CPUExecutionProvider"}


def import_ort() -> Any:
    check_onnxruntime()
    try:
        import onnxruntime as ort
    except ImportError:
        raise VgxError("ONNX Runtime is not installed: pip install 'vgx[cpu]' (or 'vgx[gpu]' on NVIDIA machines)") from None
    return ort


def available() -> dict[str, str | None]:
    """backend -> None when this onnxruntime build has it, else why not."""
    have = set(import_ort().get_available_providers())
    return {b: None if p in have else f"{p} not in this onnxruntime build" for b, p in PROVIDERS.items()}


def make_session(path: str | Path, backend: str = "ort-cpu", optimize: bool = True, threads: int | None = None,
                 cache_dir: Path | None = None, level: str | None = None, config: dict[str, str] | None = None) -> Any:
    """`level` (a GraphOptimizationLevel name) and `config` (session config entries) override
    vgx's settings; benchmarks/studies/ort_tuning.py times them."""
    ort = import_ort()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = (getattr(ort.GraphOptimizationLevel, level) if level
                                     else ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                     else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    for key, value in (config or {}).items():
        opts.add_session_config_entry(key, value)
    providers: list[Any] = []
    if backend == "ort-trt":
        cache = str(cache_dir or Path(path).parent / ".ort-trt-cache")
        providers.append((PROVIDERS["ort-trt"], {"trt_engine_cache_enable": True, "trt_engine_cache_path": cache,
                                                 "trt_timing_cache_enable": True, "trt_timing_cache_path": cache}))
    if backend in ("ort-trt", "ort-cuda"):
        providers.append(PROVIDERS["ort-cuda"])
    providers.append(PROVIDERS["ort-cpu"])
    try:
        return ort.InferenceSession(str(path), opts, providers=providers)
    except Exception as e:  # noqa: BLE001 - ORT raises its own exception types
        raise VgxError(f"ONNX Runtime cannot load {path}: {str(e).splitlines()[0][:200]}") from None


class ORTRunner:
    def __init__(self, path: str | Path, backend: str = "ort-cpu", optimize: bool = True, threads: int | None = None) -> None:
        self.path, self.backend, self.optimize, self.threads = Path(path), backend, optimize, threads
        self.name = f"{backend}:{self.path.name}"
        self.session: Any = None

    def __enter__(self) -> ORTRunner:
        self.session = make_session(self.path, self.backend, self.optimize, self.threads)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.session = None

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.session.get_inputs()]

    def infer(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        names = [o.name for o in self.session.get_outputs()]
        if self.backend == "ort-cpu":
            return dict(zip(names, self.session.run(names, feed)))
        # GPU providers: IO binding lets ORT place the outputs on the device and copy them
        # back once, instead of allocating host buffers inside every run
        binding = self.session.io_binding()
        for name, value in feed.items():
            binding.bind_cpu_input(name, np.ascontiguousarray(value))
        for name in names:
            binding.bind_output(name, "cuda")
        self.session.run_with_iobinding(binding)
        return dict(zip(names, binding.copy_outputs_to_cpu()))
