"""What this machine has: package versions, and broken mixes detected before they bite.

`onnxruntime` and `onnxruntime-gpu` both install the same `onnxruntime` module; with
both present, whichever was installed last wins file by file and the CUDA provider
silently disappears or crashes. vgx refuses that mix with the fix in the message.
"""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from vgx.errors import VgxError

PACKAGES = ("vgx", "torch", "onnx", "onnxruntime", "onnxruntime-gpu", "tensorrt", "cuda-python", "pycuda",
            "opencv-python-headless", "opencv-python", "numpy")


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def check_onnxruntime() -> None:
    """Raise when both the CPU and GPU wheels of ONNX Runtime are installed."""
    cpu, gpu = version("onnxruntime"), version("onnxruntime-gpu")
    if cpu and gpu:
        raise VgxError(
            f"both onnxruntime {cpu} and onnxruntime-gpu {gpu} are installed and overwrite each other; "
            "keep one: pip uninstall -y onnxruntime onnxruntime-gpu && pip install 'vgx[gpu]' (or 'vgx[cpu]')"
        )


def _cpuinfo(key: str) -> str | None:
    """The first /proc/cpuinfo value for `key` (Linux), else None."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def cpu_mhz() -> float:
    try:
        return float(_cpuinfo("cpu MHz") or 0.0)
    except ValueError:
        return 0.0


def cpu_flags() -> set[str]:
    """ISA flags (avx2, avx512f, avx512_vnni, ...); empty where /proc/cpuinfo is not."""
    return set((_cpuinfo("flags") or "").split())


def cpu_has_vnni() -> bool:
    """x86 VNNI (AVX-512 or AVX): u8 x s8 dot products accumulate in int32 without the
    int16 saturation of AVX2's vpmaddubsw, so int8 weights need no reduced range."""
    return bool(cpu_flags() & {"avx512_vnni", "avx_vnni"})


def report() -> dict[str, str]:
    import os

    info = {"python": platform.python_version(), "machine": f"{platform.system()} {platform.machine()}",
            "cpu": f"{cpu_model()} ({os.cpu_count()} cores)"}
    for dist in PACKAGES:
        v = version(dist)
        if v:
            info[dist] = v
    return info


# What has run where, said plainly until a GPU run proves more (vgx doctor prints it; README too).
GPU_PATHS_STATUS = (
    "GPU paths (TensorRT engine build and runner, cuda-python buffers, ONNX Runtime CUDA/TensorRT providers, "
    "the PyTorch CUDA baseline): checked statically (mypy against tensorrt-stubs; TensorRT flags per version and "
    "ONNX compatibility by tests on CPU), never yet run on a real GPU. On one, run scripts/gpu_check.sh and vgx selftest."
)


def cuda_runtime_module() -> Any | None:
    """cuda-python's runtime module (`cuda.bindings.runtime`, or `cuda.cudart` before 12.6); None without it."""
    try:
        from cuda.bindings import runtime
    except ImportError:
        try:
            from cuda import cudart as runtime  # cuda-python < 12.6 layout
        except ImportError:
            return None
    return runtime


def gpu_compute_capability(device: int = 0) -> str | None:
    """'8.7' for the CUDA device, through cuda-python (or pycuda); None without a GPU."""
    cudart = cuda_runtime_module()
    if cudart is not None:
        err, prop = cudart.cudaGetDeviceProperties(device)
        if int(err) == 0:
            return f"{prop.major}.{prop.minor}"
        return None
    try:
        import pycuda.driver as drv

        drv.init()
        major, minor = drv.Device(device).compute_capability()
        return f"{major}.{minor}"
    except Exception:  # noqa: BLE001 - no pycuda, no driver, no device
        return None


def import_tensorrt() -> Any:
    """The real tensorrt module, or a VgxError that says what to install.

    `tensorrt-stubs` leaves a `tensorrt/` folder of .pyi files that imports as an empty
    namespace package, so a plain import is not proof that TensorRT is there."""
    import importlib

    try:
        trt = importlib.import_module("tensorrt")
    except ImportError:
        trt = None
    if trt is None or not hasattr(trt, "Builder"):
        raise VgxError("TensorRT is not installed: pip install 'vgx[trt]' on a machine with an NVIDIA GPU")
    return trt


def tensorrt_version() -> str | None:
    try:
        return str(import_tensorrt().__version__)
    except VgxError:
        return None


def engine_tag(precision: str, trt_version: str, compute_capability: str) -> str:
    """`fp16.trt10.3.sm87`: what an engine is bound to (TensorRT major.minor, GPU arch)."""
    major_minor = ".".join(trt_version.split(".")[:2])
    return f"{precision}.trt{major_minor}.sm{compute_capability.replace('.', '')}"
