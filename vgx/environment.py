"""What this machine has: package versions, and broken mixes detected before they bite.

`onnxruntime` and `onnxruntime-gpu` both install the same `onnxruntime` module; with
both present, whichever was installed last wins file by file and the CUDA provider
silently disappears or crashes. vgx refuses that mix with the fix in the message.
"""

from __future__ import annotations

import platform
from importlib import metadata

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


def report() -> dict[str, str]:
    info = {"python": platform.python_version(), "machine": f"{platform.system()} {platform.machine()}"}
    for dist in PACKAGES:
        v = version(dist)
        if v:
            info[dist] = v
    return info
