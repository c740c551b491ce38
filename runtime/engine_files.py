"""Which TensorRT engine in an artifact folder fits this machine, or why none does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vgx import manifest as mf
from vgx.environment import gpu_compute_capability, tensorrt_version
from vgx.errors import VgxError


def compatible(entry: dict[str, Any], trt_version: str, cc: str) -> str | None:
    """None when the engine runs here, else the reason."""
    built = entry["tensorrt"]
    same_gpu = entry["compute_capability"] == cc
    if entry.get("version_compatible"):
        newer_same_major = built.split(".")[0] == trt_version.split(".")[0] and _v(trt_version) >= _v(built)
        ok_version = newer_same_major
    else:
        ok_version = built.split(".")[:2] == trt_version.split(".")[:2]
    if same_gpu and ok_version:
        return None
    return (f"{entry['file']} was built for TensorRT {built} on sm{entry['compute_capability'].replace('.', '')}; "
            f"this machine has TensorRT {trt_version} on sm{cc.replace('.', '')}")


def pick_engine(folder: Path, manifest: dict[str, Any], precision: str, carried: bool = False) -> Path:
    """The verified engine file for `precision` (`carried`: of the carried-norm graph), or a VgxError
    that says how to rebuild."""
    trt_version, cc = tensorrt_version(), gpu_compute_capability()
    if trt_version is None or cc is None:
        raise VgxError("the TensorRT backend needs tensorrt, cuda-python and an NVIDIA GPU: pip install 'vgx[trt]'")
    candidates = [e for e in manifest.get("engines", {}).values()
                  if e["precision"] == precision and not e.get("frame_io")  # frames engines serve Triton
                  and bool(e.get("carried")) == carried]
    reasons = []
    for entry in candidates:
        why = compatible(entry, trt_version, cc)
        if why is None:
            return mf.verified_path(folder, manifest, entry["file"])
        reasons.append(why)
    name = manifest["card"]["name"]
    rebuild = f"rebuild here: vgx export {name} --{precision} --engine --out {folder}" if precision != "fp32" else \
        f"rebuild here: vgx export {name} --engine --out {folder}"
    detail = "; ".join(reasons) if reasons else f"no {precision}{' carried-norm' if carried else ''} engine in {folder}"
    raise VgxError(f"{detail}: {rebuild}")


def _v(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())
