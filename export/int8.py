"""fp32 ONNX -> int8 QDQ ONNX within a quality budget, falling back node by node.

`quant_pre_process`, then `quantize_static` (QDQ, per-channel weights) calibrated on real
images. Two targets (`auto` picks gpu where a CUDA device is, else cpu): `gpu` writes
what TensorRT's explicit quantization takes (symmetric int8 activations and weights);
`cpu` writes what ORT's x86 kernels run well (uint8 activations, int8 weights; on CPUs
without VNNI with reduce_range, which avoids the u8s8 saturation of AVX2 that cost 7 dB).

On the cpu target, convolutions with fewer than 16 output or input channels stay float
(image heads and tails: style's 9x9 3->32 and 32->3, SR's first conv and last conv to
scale^2 phases, depthwise phase convs): ORT's int8 conv unrolls its whole input (Cin*k*k
bytes a pixel) and blocks output channels by 16, so style-wave's 9x9 tail alone took 337
of 374 ms in int8 against 50 ms in fp32, and its 9x9 head 25 ms against 17 (640x360, one
core).

The budget is measured on held-out images: SR may lose at most `budget` dB PSNR-Y against
the fp32 model (vs ground truth); style must keep PSNR >= `budget` dB against fp32. When
it fails, each quantized node's error is measured (ORT's qdq_loss_debug: SQNR of its
quantized input activation and weight) and the most sensitive nodes are left in float,
one at a time, until the budget holds or nothing is left to try.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import onnx

from vgx.card import ModelCard
from vgx.convert import nchw_to_rgb, rgb_to_nchw
from vgx.environment import cpu_has_vnni
from vgx.errors import VgxError
from vgx.images import downscale, mod_crop
from vgx.metrics import agreement, psnr_y
from vgx.runtime.ort_runner import make_session
from vgx.samples import HELD_OUT, builtin, calibration_images, crops, input_size, latent_inputs

METHODS = ("minmax", "entropy", "percentile")
TARGETS = ("auto", "gpu", "cpu")
QUANTIZED_OPS = ["Conv", "ConvTranspose", "MatMul", "Gemm"]
DEFAULT_BUDGET = {"sr": 0.3, "style": 30.0, "generate": 30.0}


@dataclass
class Int8Config:
    method: str = "minmax"
    count: int = 16
    calib_dir: str | None = None
    target: str = "auto"  # gpu where a CUDA device is (TensorRT), else cpu (this machine's x86 kernels)
    budget: float | None = None  # None: DEFAULT_BUDGET by task
    max_fallback: int | None = None  # None: every quantized node may fall back

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise VgxError(f"--calib-method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.target not in TARGETS:
            raise VgxError(f"--int8-target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        if self.count < 1:
            raise VgxError("--calib-count must be at least 1")
        if self.target == "auto":
            from vgx.environment import gpu_compute_capability

            self.target = "gpu" if gpu_compute_capability() else "cpu"


def feed(inputs: list[tuple[str, list[Any]]], x: np.ndarray) -> dict[str, np.ndarray]:
    """`x` for the first of a graph's (name, shape) inputs; any other input zeros, a symbolic first dim
    the batch: a carried-norm graph's state and keep (export/carried.py), keep 0 the plain net's function."""
    out = {inputs[0][0]: x}
    for name, shape in inputs[1:]:
        out[name] = np.zeros([x.shape[0] if not isinstance(d, int) or d <= 0 else d for d in shape], np.float32)
    return out


def graph_inputs(graph: onnx.GraphProto) -> list[tuple[str, list[Any]]]:
    return [(v.name, [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]) for v in graph.input]


class _Reader:
    """Calibration data one image at a time (the entropy calibrator keeps what it sees)."""

    def __init__(self, inputs: list[np.ndarray], graph: onnx.GraphProto) -> None:
        self.inputs, self.graph, self.i = inputs, graph_inputs(graph), 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.i >= len(self.inputs):
            return None
        self.i += 1
        return feed(self.graph, self.inputs[self.i - 1])

    def rewind(self) -> None:
        self.i = 0

    def __iter__(self):
        return iter(feed(self.graph, x) for x in self.inputs)


def quantize_int8(fp32_path: Path, out_path: Path, card: ModelCard, cfg: Int8Config,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write `out_path`; return the manifest's int8 report (settings, loss, float nodes)."""
    from onnxruntime.quantization import CalibrationDataReader  # noqa: F401 - import check
    from onnxruntime.quantization.shape_inference import quant_pre_process

    budget = cfg.budget if cfg.budget is not None else DEFAULT_BUDGET[card.task]
    side = 64 if card.task == "sr" else 128
    if card.task == "generate":  # calibrate on the latent distribution the generator samples from
        calib = latent_inputs(card, cfg.count, seed=3)
    else:
        calib = [rgb_to_nchw(c) for c in calibration_images(cfg.calib_dir, cfg.count, input_size(card, side))]
    judge = _QualityJudge(fp32_path, card, cfg.target)
    with tempfile.TemporaryDirectory(prefix="vgx-int8-") as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32_path), str(pre), skip_symbolic_shape=True)
        cache = Path(tmp) / "calibration.cache"
        graph = onnx.load(str(pre)).graph
        narrow = narrow_convs(graph) if cfg.target == "cpu" else []
        quantizable = [n.name for n in graph.node if n.op_type in QUANTIZED_OPS and n.name not in narrow]
        excluded: list[str] = []
        ranking: list[tuple[str, float]] | None = None
        tries = []
        while True:
            _quantize(pre, out_path, calib, cfg, narrow + excluded, cache)
            figure = judge.measure(out_path)
            ok = judge.within(figure, budget)
            tries.append({"float_nodes": len(excluded), judge.figure_name: round(figure, 4), "ok": ok})
            log(f"int8 with {len(excluded)} node(s) in float: {judge.figure_name} {figure:.3f} "
                f"({'within' if ok else 'outside'} budget {budget})")
            limit = len(quantizable) if cfg.max_fallback is None else min(cfg.max_fallback, len(quantizable))
            if ok or len(excluded) >= limit:
                break
            if ranking is None:
                ranking = sensitivity(pre, out_path, calib[: min(4, len(calib))], quantizable)
                log("most sensitive nodes (SQNR dB): " + ", ".join(f"{n} {s:.1f}" for n, s in ranking[:5]))
            excluded.append(ranking[len(excluded)][0])
    return {
        "method": cfg.method, "target": cfg.target, "calibration": cfg.calib_dir or "built-in images",
        "calibration_count": len(calib), "per_channel": True, "quant_format": "QDQ",
        "activation_type": "int8 symmetric" if cfg.target == "gpu" else "uint8",
        "reduce_range": reduced_range(cfg.target),
        "budget": {judge.figure_name: budget}, judge.figure_name: round(figure, 4), "within_budget": ok,
        "float_nodes": excluded, "float_by_rule": narrow, "quantized_nodes": len(quantizable) - len(excluded),
        "tries": tries,
    }


NARROW_CONV = 16  # channels (in per group, or out) below which the cpu target keeps a conv float


def narrow_convs(graph: onnx.GraphProto) -> list[str]:
    """Conv nodes with fewer than NARROW_CONV output or input channels per group (weights
    as initializers: O x I/groups x kH x kW): image heads and tails, depthwise phase convs."""
    dims = {t.name: list(t.dims) for t in graph.initializer}
    wide = [NARROW_CONV, NARROW_CONV]
    return [n.name for n in graph.node
            if n.op_type == "Conv" and len(n.input) > 1 and min(dims.get(n.input[1], wide)[:2]) < NARROW_CONV]


def reduced_range(target: str) -> bool:
    """7-bit weights for the cpu target on CPUs without VNNI only: with VNNI the full range
    costs nothing in speed, and on Set5 it cut espcn-x3's int8 loss from 0.37 to 0.06 dB
    and fsrcnn-x3's from 0.38 to 0.07 dB (this machine)."""
    return target == "cpu" and not cpu_has_vnni()


def _quantize(pre: Path, out: Path, calib: list[np.ndarray], cfg: Int8Config, excluded: list[str], cache: Path) -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    method = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
              "percentile": CalibrationMethod.Percentile}[cfg.method]
    gpu = cfg.target == "gpu"
    graph = onnx.load(str(pre), load_external_data=False).graph
    quantize_static(
        str(pre), str(out), _Reader(calib, graph), quant_format=QuantFormat.QDQ, op_types_to_quantize=QUANTIZED_OPS,
        per_channel=True, reduce_range=reduced_range(cfg.target), activation_type=QuantType.QInt8 if gpu else QuantType.QUInt8,
        weight_type=QuantType.QInt8, nodes_to_exclude=list(excluded), calibrate_method=method,
        # TensorRT dequantizes int8 only: its QDQ graphs keep biases float (ORT would make int32 bias DQs)
        extra_options={"ActivationSymmetric": gpu, "WeightSymmetric": True, "QuantizeBias": not gpu},
        calibration_cache_path=str(cache),
    )


def sensitivity(float_path: Path, qdq_path: Path, inputs: list[np.ndarray], nodes: list[str]) -> list[tuple[str, float]]:
    """Quantizable nodes ranked most sensitive first: the lower SQNR of their quantized
    input activation and weight (ORT qdq_loss_debug), measured on real inputs."""
    from onnxruntime.quantization import qdq_loss_debug as dbg

    with tempfile.TemporaryDirectory(prefix="vgx-sens-") as tmp:
        aug_f, aug_q = Path(tmp) / "f.onnx", Path(tmp) / "q.onnx"
        dbg.modify_model_output_intermediate_tensors(str(float_path), str(aug_f))
        dbg.modify_model_output_intermediate_tensors(str(qdq_path), str(aug_q))
        graph = onnx.load(str(float_path), load_external_data=False).graph
        act_f = dbg.collect_activations(str(aug_f), _Reader(inputs, graph))
        act_q = dbg.collect_activations(str(aug_q), _Reader(inputs, graph))
        act_err = dbg.compute_activation_error(dbg.create_activation_matching(act_q, act_f))
        w_err = dbg.compute_weight_error(dbg.create_weight_matching(str(float_path), str(qdq_path)))
    graph = onnx.load(str(float_path), load_external_data=False).graph
    scores = []
    for node in graph.node:
        if node.name not in nodes:
            continue
        errs = [act_err[t]["qdq_err"] for t in node.input[:1] if t in act_err and "qdq_err" in act_err[t]]
        errs += [w_err[t] for t in node.input[1:2] if t in w_err]
        scores.append((node.name, float(min(errs)) if errs else float("inf")))
    return sorted(scores, key=lambda s: s[1])


class _QualityJudge:
    """Scores an int8 model against fp32 on held-out images the calibrator never saw."""

    def __init__(self, fp32_path: Path, card: ModelCard, target: str) -> None:
        self.card, self.target = card, target
        self.fp32 = make_session(fp32_path)
        images = list(builtin(HELD_OUT).values())
        if card.task == "sr":
            s = card.scale
            self.figure_name = "psnr_y_loss_db"
            hr = [mod_crop(c, s) for c in crops(images, (48 * s, 64 * s), 3, seed=5)]
            self.pairs = [(rgb_to_nchw(downscale(h, s)), h) for h in hr]
            self.ref = float(np.mean([psnr_y(nchw_to_rgb(_run(self.fp32, x)), h) for x, h in self.pairs]))
        else:
            self.figure_name = "psnr_vs_fp32_db"
            self.inputs = (latent_inputs(card, 3, seed=5) if card.task == "generate"
                           else [rgb_to_nchw(c) for c in crops(images, input_size(card, 128), 3, seed=5)])
            self.refs = [_run(self.fp32, x) for x in self.inputs]

    def measure(self, int8_path: Path) -> float:
        # gpu target: simulated quantization (graph as written); cpu target: the real CPU kernels
        sess = make_session(int8_path, optimize=self.target == "cpu")
        if self.card.task == "sr":
            return self.ref - float(np.mean([psnr_y(nchw_to_rgb(_run(sess, x)), h) for x, h in self.pairs]))
        return min(agreement(r, _run(sess, x))["psnr"] for x, r in zip(self.inputs, self.refs))

    def within(self, figure: float, budget: float) -> bool:
        return figure <= budget if self.card.task == "sr" else figure >= budget


def _run(session: Any, x: np.ndarray) -> np.ndarray:
    """The first output; other inputs (a carried-norm graph's state and keep) as `feed` gives them."""
    return session.run(None, feed([(i.name, i.shape) for i in session.get_inputs()], x))[0]
