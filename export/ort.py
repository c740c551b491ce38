"""ONNX Runtime CPU sessions and numeric comparison, the judge of every precision here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vgx.environment import check_onnxruntime
from vgx.errors import VgxError


def cpu_session(path: str | Path, optimize: bool = True, threads: int | None = None):
    """A CPU session. `optimize=False` runs QDQ graphs as written (simulated quantization:
    exactly the arithmetic TensorRT implements, free of CPU int8 kernel quirks)."""
    check_onnxruntime()
    try:
        import onnxruntime as ort
    except ImportError:
        raise VgxError("ONNX Runtime is not installed: pip install 'vgx[cpu]' (or 'vgx[gpu]')") from None
    opts = ort.SessionOptions()
    opts.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                     else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - ORT raises its own exception types
        raise VgxError(f"ONNX Runtime cannot load {path}: {str(e).splitlines()[0][:200]}") from None


def run(session, x: np.ndarray) -> np.ndarray:
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def compare(reference: np.ndarray, output: np.ndarray) -> dict[str, float]:
    """Max/mean abs error and PSNR (peak 1, outputs clamped to [0,1] as the runtime shows them)."""
    ref, out = np.clip(reference, 0, 1).astype(np.float64), np.clip(output, 0, 1).astype(np.float64)
    mse = float(np.mean((ref - out) ** 2))
    return {
        "max_abs": float(np.max(np.abs(reference.astype(np.float64) - output))),
        "mean_abs": float(np.mean(np.abs(reference.astype(np.float64) - output))),
        "psnr": float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse)),
    }


def worst(figures: list[dict[str, float]]) -> dict[str, float]:
    """The worst case over several inputs: largest errors, lowest PSNR."""
    return {"max_abs": max(f["max_abs"] for f in figures), "mean_abs": max(f["mean_abs"] for f in figures),
            "psnr": min(f["psnr"] for f in figures)}


def upscaler(session):
    """uint8 RGB -> uint8 RGB through an ONNX session (for the SR evaluation protocol)."""

    def run_image(rgb: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
        y = run(session, x)[0]
        return (np.clip(y.transpose(1, 2, 0), 0, 1) * 255.0 + 0.5).astype(np.uint8)

    return run_image
