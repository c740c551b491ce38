"""Exact opset 18 -> 17 rewrite, for TensorRT 8.5 / 8.6, whose ONNX parser stops at opset 17.

vgx exports opset 18 (what torch's dynamo exporter writes). Opset 18 changed a few operators'
*signatures*, not their arithmetic, so a graph that uses only the opset-17 behaviour can be
written in opset-17 form with identical results:
- Reduce{Mean,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare}: `axes` moved from an attribute
  to an input; a constant axes input goes back to the attribute.
- Pad: the new optional `axes` input; with it, pads are widened to every axis (zeros elsewhere).
- Resize: the new `antialias`, `axes` and `keep_aspect_ratio_policy` attributes, dropped where
  they hold their opset-17 meaning (0, absent, "stretch").
- Split: `num_outputs`, dropped where the split axis divides evenly (opset 17's equal split).
- LpPool: `ceil_mode`, dropped where 0. ScatterElements / ScatterND: `reduction` max/min is new.
Every other operator whose newest schema at opset 18 is newer than 17 has no opset-17 form and
is refused by name; so is anything this module cannot prove equal (a non-constant axes input,
an unknown rank). Tests run both forms on ONNX Runtime and require identical outputs.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import defs, helper, numpy_helper

from vgx.errors import VgxError

SOURCE, TARGET = 18, 17
_REDUCE = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
           "ReduceLogSumExp", "ReduceSumSquare"}
_IR_FOR_17 = 8  # the IR version onnx 1.12-1.14 (TensorRT 8.5/8.6's parser) writes for opset 17


def opset_of(model: onnx.ModelProto) -> int:
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)


def to_opset17(model: onnx.ModelProto) -> onnx.ModelProto:
    """A checked opset-17 copy of `model` (returned as is when already <= 17)."""
    opset = opset_of(model)
    if opset <= TARGET:
        return model
    if opset != SOURCE:
        raise VgxError(f"opset {opset} -> {TARGET}: vgx rewrites opset {SOURCE} graphs only")
    if model.functions or any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
                              for n in model.graph.node for a in n.attribute):
        raise VgxError("opset 17 rewrite: graphs with functions or subgraphs are not supported")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    inferred = onnx.shape_inference.infer_shapes(model).graph
    shapes = {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
              for v in (*inferred.value_info, *inferred.input, *inferred.output) if v.type.tensor_type.HasField("shape")}
    consts = _constants(g)
    for node in g.node:
        if node.domain not in ("", "ai.onnx"):
            continue
        since = defs.get_schema(node.op_type, SOURCE).since_version
        if since <= TARGET:
            continue
        rule = _RULES.get(node.op_type)
        if rule is None:
            raise VgxError(f"opset 17 rewrite: {node.op_type} ({node.name}) has no opset-17 form")
        rule(node, g, consts, shapes)
    for o in out.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = TARGET
    out.ir_version = min(out.ir_version, _IR_FOR_17)
    _drop_unused_constants(g)
    try:
        onnx.checker.check_model(out, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise VgxError(f"opset 17 rewrite failed the ONNX checker: {str(e).splitlines()[0][:200]}") from None
    return out


def _constants(g: onnx.GraphProto) -> dict[str, np.ndarray]:
    values = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            value = next((a for a in n.attribute if a.name == "value"), None)
            if value is not None:
                values[n.output[0]] = numpy_helper.to_array(value.t)
    return values


def _attr(node: onnx.NodeProto, name: str) -> onnx.AttributeProto | None:
    return next((a for a in node.attribute if a.name == name), None)


def _drop_attr(node: onnx.NodeProto, name: str) -> None:
    keep = [a for a in node.attribute if a.name != name]
    del node.attribute[:]
    node.attribute.extend(keep)


def _constant_input(node: onnx.NodeProto, i: int, consts: dict[str, np.ndarray], what: str) -> np.ndarray:
    name = node.input[i]
    if name not in consts:
        raise VgxError(f"opset 17 rewrite: {node.op_type} ({node.name}) has a computed {what}; opset 17 needs a constant")
    return consts[name]


def _trim_inputs(node: onnx.NodeProto, keep: int) -> None:
    names = list(node.input[:keep])
    while names and not names[-1]:
        names.pop()
    del node.input[:]
    node.input.extend(names)


def _reduce(node, g, consts, shapes) -> None:  # noqa: ANN001 - one signature for every rule
    noop = _attr(node, "noop_with_empty_axes")
    axes = _constant_input(node, 1, consts, "axes") if len(node.input) > 1 and node.input[1] else None
    if noop is not None and noop.i == 1 and (axes is None or axes.size == 0):
        raise VgxError(f"opset 17 rewrite: {node.name} reduces over no axis (noop_with_empty_axes=1)")
    _drop_attr(node, "noop_with_empty_axes")
    _trim_inputs(node, 1)
    if axes is not None and axes.size:
        node.attribute.append(helper.make_attribute("axes", [int(a) for a in axes.reshape(-1)]))


def _pad(node, g, consts, shapes) -> None:  # noqa: ANN001
    if len(node.input) > 3 and node.input[3]:
        axes = _constant_input(node, 3, consts, "axes").reshape(-1)
        pads = _constant_input(node, 1, consts, "pads").reshape(-1)
        dims = shapes.get(node.input[0])
        if dims is None:
            raise VgxError(f"opset 17 rewrite: {node.name} pads named axes of a tensor of unknown rank")
        rank = len(dims)
        full = np.zeros(2 * rank, dtype=np.int64)
        for k, a in enumerate(int(a) % rank for a in axes):
            full[a], full[rank + a] = pads[k], pads[len(axes) + k]
        name = f"{node.name or 'pad'}_pads17"
        g.initializer.append(numpy_helper.from_array(full, name))
        node.input[1] = name
    _trim_inputs(node, 3)


def _resize(node, g, consts, shapes) -> None:  # noqa: ANN001
    antialias, axes, policy = _attr(node, "antialias"), _attr(node, "axes"), _attr(node, "keep_aspect_ratio_policy")
    if antialias is not None and antialias.i != 0:
        raise VgxError(f"opset 17 rewrite: {node.name} resizes with antialias, which opset 17 lacks")
    if axes is not None:
        raise VgxError(f"opset 17 rewrite: {node.name} resizes named axes only (opset 18's axes)")
    if policy is not None and policy.s not in (b"", b"stretch"):
        raise VgxError(f"opset 17 rewrite: {node.name} keeps the aspect ratio ({policy.s.decode()}), which opset 17 lacks")
    for name in ("antialias", "axes", "keep_aspect_ratio_policy"):
        _drop_attr(node, name)


def _split(node, g, consts, shapes) -> None:  # noqa: ANN001
    n = _attr(node, "num_outputs")
    if n is None:
        return
    axis_attr = _attr(node, "axis")
    axis = axis_attr.i if axis_attr is not None else 0
    dims = shapes.get(node.input[0])
    size = dims[axis] if dims is not None and -len(dims) <= axis < len(dims) else None
    if size is None or size % n.i:
        raise VgxError(f"opset 17 rewrite: {node.name} splits an axis that {n.i} may not divide evenly")
    _drop_attr(node, "num_outputs")


def _lp_pool(node, g, consts, shapes) -> None:  # noqa: ANN001
    ceil = _attr(node, "ceil_mode")
    if ceil is not None and ceil.i != 0:
        raise VgxError(f"opset 17 rewrite: {node.name} pools with ceil_mode, which opset 17's LpPool lacks")
    _drop_attr(node, "ceil_mode")


def _scatter(node, g, consts, shapes) -> None:  # noqa: ANN001
    reduction = _attr(node, "reduction")
    if reduction is not None and reduction.s in (b"max", b"min"):
        raise VgxError(f"opset 17 rewrite: {node.name} scatters with reduction {reduction.s.decode()} (new in 18)")


_RULES = {**{op: _reduce for op in _REDUCE}, "Pad": _pad, "Resize": _resize, "Split": _split, "LpPool": _lp_pool,
          "ScatterElements": _scatter, "ScatterND": _scatter}


def _drop_unused_constants(g: onnx.GraphProto) -> None:
    """Axes that became attributes leave initializers and Constant nodes nobody reads."""
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output} | {i.name for i in g.input}
    nodes = [n for n in g.node if n.op_type != "Constant" or any(o in used for o in n.output)]
    del g.node[:]
    g.node.extend(nodes)
    inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
