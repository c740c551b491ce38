"""TensorRT readiness without TensorRT: which flags each version path sets, and the static
compatibility check on every zoo export and on graphs that must fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from vgx.errors import VgxError
from vgx.export.opset17 import to_opset17
from vgx.export.trt_build import build_plan
from vgx.export.trt_compat import check_file, operator_problems, profile_problems, qdq_problems


@pytest.mark.parametrize(("version", "precision", "network", "builder", "typed"), [
    ("8.5.3", "fp32", ("EXPLICIT_BATCH",), (), False),
    ("8.5.2.2", "fp16", ("EXPLICIT_BATCH",), ("FP16",), False),
    ("8.6.1", "int8", ("EXPLICIT_BATCH",), ("INT8", "FP16"), False),
    ("10.3.0", "fp16", ("STRONGLY_TYPED",), (), True),
    ("10.12.0", "int8", ("STRONGLY_TYPED",), (), True),
    ("11.0.0", "int8", (), (), True),
])
def test_each_tensorrt_version_gets_its_path(version, precision, network, builder, typed) -> None:
    plan = build_plan(version, precision)
    assert (plan.network_flags, plan.builder_flags, plan.strongly_typed) == (network, builder, typed)
    assert plan.max_opset == (17 if version.startswith("8.") else 20)  # 8.x is handed the opset-17 rewrite


def test_dla_version_compatibility_and_refusals() -> None:
    assert build_plan("10.3.0", "fp16", dla_core=0).builder_flags == ("GPU_FALLBACK",)
    assert build_plan("8.5.2", "int8", dla_core=1, version_compatible=True).builder_flags == \
        ("INT8", "FP16", "GPU_FALLBACK", "VERSION_COMPATIBLE")
    with pytest.raises(VgxError, match="DLA runs fp16 and int8 only"):
        build_plan("10.3.0", "fp32", dla_core=0)
    with pytest.raises(VgxError, match="older than 8.5"):
        build_plan("8.4.3", "fp32")


def _graph(op: str = "Relu", opset: int = 17, domain: str = "") -> onnx.ModelProto:
    node = helper.make_node(op, ["x"], ["y"], domain=domain, name="n0")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(g, opset_imports=imports)


def test_unsupported_ops_and_opsets_fail() -> None:
    assert operator_problems(_graph(), "8.6") == [] and operator_problems(_graph(), "10.x") == []
    assert "opset 18 is outside TensorRT 8.6" in operator_problems(_graph(opset=18), "8.6")[0]
    assert operator_problems(_graph(opset=18), "10.x") == []
    assert "Gelu is not in TensorRT 8.6" in operator_problems(_graph("Gelu", 17), "8.6")[0]
    assert "com.microsoft.FusedConv" in operator_problems(_graph("FusedConv", 17, "com.microsoft"), "10.x")[0]


def _qdq(zero_dtype: int, zero: int, act_scale_len: int, weight_axis: int) -> onnx.ModelProto:
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.int8), "w_q")
    inits = [w, numpy_helper.from_array(np.full(4, 0.1, np.float32), "w_s"),
             numpy_helper.from_array(np.zeros(4, np.int8), "w_z"),
             numpy_helper.from_array(np.full(act_scale_len, 0.1, np.float32) if act_scale_len > 1
                                     else np.array(0.1, np.float32), "a_s"),
             helper.make_tensor("a_z", zero_dtype, [], [zero])]
    nodes = [helper.make_node("QuantizeLinear", ["x", "a_s", "a_z"], ["xq"], name="act_q", axis=1),
             helper.make_node("DequantizeLinear", ["xq", "a_s", "a_z"], ["xd"], name="act_dq", axis=1),
             helper.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["wd"], name="w_dq", axis=weight_axis),
             helper.make_node("Conv", ["xd", "wd"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_quantization_rules() -> None:
    assert qdq_problems(_qdq(TensorProto.INT8, 0, 1, 0)) == []
    asym = qdq_problems(_qdq(TensorProto.UINT8, 128, 1, 0))
    assert any("UINT8, TensorRT needs INT8" in p for p in asym)
    assert any("not 0" in p for p in qdq_problems(_qdq(TensorProto.INT8, 3, 1, 0)))
    assert any("per channel; TensorRT wants per tensor" in p for p in qdq_problems(_qdq(TensorProto.INT8, 0, 3, 0)))
    assert any("axis 1" in p for p in qdq_problems(_qdq(TensorProto.INT8, 0, 1, 1)))


def test_profile_against_multiple_of() -> None:
    ok = {"min": [1, 3, 32, 32], "opt": [1, 3, 360, 640], "max": [1, 3, 1080, 1920]}
    assert profile_problems(ok, 4) == []
    assert "not a multiple of 8" in profile_problems({**ok, "opt": [1, 3, 364, 640]}, 8)[0]
    assert "min <= opt <= max" in profile_problems({**ok, "min": [1, 3, 2000, 32]}, 1)[-1]


@pytest.mark.parametrize("name", ["espcn-x2", "fsrcnn-x3", "compact-x4", "srresnet-x4", "style-wave-slim", "dcgan-faces"])
def test_every_zoo_family_exports_for_tensorrt(name: str, tmp_path: Path) -> None:
    """fp32, fp16 and gpu-target int8 of each architecture pass the 10.x check, and the 8.6 check
    on their opset-17 rewrite, which ONNX Runtime computes as the opset-18 file: bit for bit in
    fp32 and int8; in fp16 within one fp16 rounding (ORT picks its fp16 kernels per opset)."""
    import torch

    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.export.int8 import Int8Config
    from vgx.train import zoo

    card = zoo.resolve(name).card()
    torch.manual_seed(0)
    int8 = Int8Config(count=2, target="gpu", max_fallback=0) if card.task != "generate" else None
    export_artifact(zoo.build(card).eval(), card, ExportOptions(tmp_path / "a", fp16=True, int8=int8), log=lambda s: None)
    for f in sorted((tmp_path / "a").glob("*.onnx")):
        report = check_file(f)
        assert report["10.x"]["ok"], (f.name, report["10.x"]["problems"])
        assert report["8.6"]["ok"] and report["8.6"]["parsed_as_opset"] == 17, (f.name, report["8.6"]["problems"])
        _same_outputs(onnx.load(str(f)), to_opset17(onnx.load(str(f))), fp16=".fp16." in f.name)


def _same_outputs(a: onnx.ModelProto, b: onnx.ModelProto, fp16: bool = False) -> None:
    import onnxruntime as ort

    def run(m: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
        s = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        feed = {s.get_inputs()[0].name: x}
        for extra in s.get_inputs()[1:]:  # a carried-norm graph: a state (positive, as variances are) half kept
            shape = [x.shape[0] if isinstance(d, str) else d for d in extra.shape]
            feed[extra.name] = np.full(shape, 0.5, np.float32) if shape == [1] else \
                np.random.default_rng(1).uniform(0.5, 1.5, shape).astype(np.float32)
        return s.run(None, feed)[0]

    spec = a.graph.input[0].type.tensor_type
    dtype = onnx.helper.tensor_dtype_to_np_dtype(spec.elem_type)
    fill = iter((2, 32, 40))  # concrete where the graph is symbolic: batch 2, 32 x 40 frames
    shape = tuple(d.dim_value if d.HasField("dim_value") else next(fill) for d in spec.shape.dim)
    x = (np.random.default_rng(0).random(shape) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    assert b.opset_import[0].version == 17
    ya, yb = run(a, x).astype(np.float64), run(b, x).astype(np.float64)
    if fp16:  # one fp16 step at the output's scale, or one 8-bit level for frames
        assert np.abs(ya - yb).max() <= (1.0 if a.graph.output[0].type.tensor_type.elem_type == TensorProto.UINT8
                                         else 2.0**-8 * max(1.0, np.abs(ya).max()))
    else:
        np.testing.assert_array_equal(ya, yb)


def _opset18(nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto], out_shape: list[int]) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])


def test_opset17_rewrite_is_exact_for_the_forms_opset18_changed() -> None:
    from onnx import numpy_helper as nh

    i64 = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
    pad = _opset18([helper.make_node("Pad", ["x", "p", "", "ax"], ["y"], mode="reflect")],
                   [nh.from_array(i64([1, 2, 1, 0]), "p"), nh.from_array(i64([2, 3]), "ax")], [1, 3, 6, 8])
    mean = _opset18([helper.make_node("Constant", [], ["ax"], value=nh.from_array(i64([2, 3]))),
                     helper.make_node("ReduceMean", ["x", "ax"], ["y"], keepdims=1)], [], [1, 3, 1, 1])
    resize = _opset18([helper.make_node("Resize", ["x", "", "s"], ["y"], mode="linear", antialias=0,
                                        keep_aspect_ratio_policy="stretch")],
                      [nh.from_array(np.array([1, 1, 2, 2], np.float32), "s")], [1, 3, 8, 12])
    for model in (pad, mean, resize):
        rewritten = to_opset17(model)
        assert not any(a.name in ("antialias", "keep_aspect_ratio_policy") for n in rewritten.graph.node for a in n.attribute)
        assert all(len(n.input) <= 3 for n in rewritten.graph.node)
        _same_outputs(model, rewritten)


def test_opset17_rewrite_refuses_what_opset17_cannot_say(tmp_path: Path) -> None:
    from onnx import numpy_helper as nh

    antialias = _opset18([helper.make_node("Resize", ["x", "", "s"], ["y"], mode="linear", antialias=1)],
                         [nh.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "s")], [1, 3, 2, 3])
    computed_axes = _opset18([helper.make_node("Shape", ["x"], ["sh"], start=2),
                              helper.make_node("ReduceMax", ["x", "sh"], ["y"])], [], [1, 3, 4, 6])
    group_norm = _opset18([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3)],
                          [nh.from_array(np.ones(3, np.float32), "s"), nh.from_array(np.zeros(3, np.float32), "b")],
                          [1, 3, 4, 6])
    for model, words in ((antialias, "antialias"), (computed_axes, "computed axes"), (group_norm, "no opset-17 form")):
        with pytest.raises(VgxError, match=words):
            to_opset17(model)
    onnx.save(antialias, str(tmp_path / "aa.onnx"))  # the static check reports it for 8.6 only
    report = check_file(tmp_path / "aa.onnx")
    assert report["10.x"]["ok"] and not report["8.6"]["ok"] and "antialias" in report["8.6"]["problems"][0]
