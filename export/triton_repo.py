"""An artifact folder -> a Triton Inference Server model repository (`vgx export M --triton REPO`).

    REPO/NAME/config.pbtxt        platform tensorrt_plan where the artifact has engines of the
                                  frames twin (one plan per GPU compute capability,
                                  cc_model_filenames), else onnxruntime_onnx with the TensorRT
                                  execution accelerator at the served precision (GPU instances);
                                  dynamic batching, instance_group, H and W dims -1
    REPO/NAME/1/model.onnx        the uint8 frame-I/O twin: clients send BGR bytes (N x H x W x 3)
    REPO/NAME/vgx_manifest.json   the artifact's manifest (model card, sha256 of every file)

The served ONNX graph has a second output, `vgx_id`: the sha256 of the artifact file it was
made from, as 32 bytes per frame, so a client (vgx's triton:// backend) proves on its first
request that the server runs the model its own manifest names. A plan cannot carry it, so
plans are named by the config's `vgx_sha256` parameter, which the client reads instead. The config is checked against Triton's
own schema (the ModelConfig protobuf that ships in tritonclient) before it is written.

A style artifact also gets `REPO/NAME-carried/`: its carried-norm graph's uint8 twin, the norms'
statistics as inputs and outputs (`norm_state`, `norm_keep` -> `norm_state_out`), so a client
stream carries its own state through a stateless server (`vgx stream --carry-norms`). It is not
batched (`max_batch_size: 0`): one request is one stream's frames and state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from vgx import manifest as mf
from vgx.atomic import atomic_path
from vgx.card import ModelCard
from vgx.errors import VgxError

ID_OUTPUT = "vgx_id"
FRAMES_IN, FRAMES_OUT = "frames", "frames_out"


@dataclass
class TritonOptions:
    repo: Path
    precision: str = "fp32"  # which artifact model is served (its uint8 twin)
    device: str = "gpu"  # instance_group kind: gpu | cpu
    max_batch: int = 8
    instances: int = 1
    queue_delay_us: int = 2000  # how long dynamic batching waits to fill a batch


def with_id_output(model: onnx.ModelProto, digest: bytes) -> onnx.ModelProto:
    """Adds `vgx_id` (uint8 N x 32, the digest repeated per frame) to a frames-in graph."""
    g = model.graph
    g.initializer.extend([numpy_helper.from_array(np.frombuffer(digest, np.uint8).reshape(1, 32).copy(), "vgx_digest"),
                          numpy_helper.from_array(np.array([0], np.int64), "vgx_zero"),
                          numpy_helper.from_array(np.array([1], np.int64), "vgx_one"),
                          numpy_helper.from_array(np.array([1], np.int64), "vgx_ones")])
    g.node.extend([
        helper.make_node("Shape", [FRAMES_IN], ["vgx_shape"]),
        helper.make_node("Slice", ["vgx_shape", "vgx_zero", "vgx_one"], ["vgx_n"]),
        helper.make_node("Concat", ["vgx_n", "vgx_ones"], ["vgx_reps"], axis=0),
        helper.make_node("Tile", ["vgx_digest", "vgx_reps"], [ID_OUTPUT]),
    ])
    g.output.append(helper.make_tensor_value_info(ID_OUTPUT, TensorProto.UINT8, ["batch", 32]))
    return model


def _tensors(specs: list[tuple[str, str, list[int]]]) -> str:
    return ",\n  ".join(f'{{ name: "{n}" data_type: {t} dims: [ {", ".join(map(str, d))} ] }}' for n, t, d in specs)


def config_text(name: str, card: ModelCard, opts: TritonOptions, platform: str = "onnxruntime_onnx",
                plans: dict[str, str] | None = None, sha256: str = "", state_size: int | None = None) -> str:
    """config.pbtxt for the served frames model, or with `state_size` for its carried-norm twin
    (unbatched: every dim given, the statistics beside the frames)."""
    from vgx.runtime.norm_carry import KEEP_INPUT, STATE_INPUT, STATE_OUTPUT

    kind = "KIND_GPU" if opts.device == "gpu" else "KIND_CPU"
    frame = [-1, -1, 3] if state_size is None else [-1, -1, -1, 3]
    inputs = [(FRAMES_IN, "TYPE_UINT8", frame)]
    ident = [32] if state_size is None else [-1, 32]
    outputs = [(FRAMES_OUT, "TYPE_UINT8", frame)] + ([] if plans else [(ID_OUTPUT, "TYPE_UINT8", ident)])
    if state_size is not None:
        inputs += [(STATE_INPUT, "TYPE_FP32", [-1, state_size]), (KEEP_INPUT, "TYPE_FP32", [1])]
        outputs.append((STATE_OUTPUT, "TYPE_FP32", [-1, state_size]))
    lines = [f'name: "{name}"', f'platform: "{platform}"', f"max_batch_size: {opts.max_batch if state_size is None else 0}",
             f"input [ {_tensors(inputs)} ]", f"output [ {_tensors(outputs)} ]"]
    if state_size is None:
        lines.append(f"dynamic_batching {{ max_queue_delay_microseconds: {opts.queue_delay_us} }}")
    lines.append(f"instance_group [ {{ count: {opts.instances} kind: {kind} }} ]")
    if platform == "onnxruntime_onnx" and opts.device == "gpu":
        mode = "FP16" if opts.precision == "fp16" else ("INT8" if opts.precision == "int8" else "FP32")
        lines.append("optimization { execution_accelerators { gpu_execution_accelerator : [ { name : \"tensorrt\" "
                     f'parameters {{ key: "precision_mode" value: "{mode}" }} '
                     'parameters { key: "max_workspace_size_bytes" value: "1073741824" } } ] } }')
    lines += [f'cc_model_filenames {{ key: "{cc}" value: "{f}" }}' for cc, f in (plans or {}).items()]
    lines.append(f'parameters {{ key: "vgx_card" value: {{ string_value: {json.dumps(json.dumps(card.to_dict()))} }} }}')
    if sha256:
        lines.append(f'parameters {{ key: "vgx_sha256" value: {{ string_value: "{sha256}" }} }}')
    return "\n".join(lines) + "\n"


def validate_config(text: str) -> None:
    """Parse with Triton's ModelConfig protobuf (tritonclient): unknown fields and bad enums fail."""
    try:
        from google.protobuf import text_format
        from tritonclient.grpc import model_config_pb2
    except ImportError:
        raise VgxError("--triton needs tritonclient to check the config against Triton's schema: "
                       "pip install 'vgx[serve]'") from None
    try:
        text_format.Parse(text, model_config_pb2.ModelConfig())
    except text_format.ParseError as e:
        raise VgxError(f"the Triton config does not parse as Triton's ModelConfig: {e}") from None


def write_triton_repo(folder: Path, opts: TritonOptions, log=print) -> Path:
    """Adds (or replaces) the artifact's model in the repository; returns the model folder."""
    manifest = mf.read(folder)
    card = ModelCard.from_dict(manifest["card"])
    if opts.device not in ("gpu", "cpu"):
        raise VgxError(f"--triton-device must be gpu or cpu, not {opts.device!r}")
    if opts.max_batch < 1 or opts.instances < 1:
        raise VgxError("--triton-max-batch and --triton-instances must be at least 1")
    info = manifest["precisions"].get(opts.precision)
    if info is None:
        raise VgxError(f"{folder} has no {opts.precision} model to serve (has {', '.join(manifest['precisions'])})")
    twin = info.get("frame_io")
    if twin is None:
        raise VgxError(f"{folder}'s {opts.precision} model has no uint8 frame-I/O twin (generators and cpu-target int8 "
                       "have none): serve fp32 or fp16, or re-export int8 with --int8-target gpu")
    sha = manifest["files"][twin["file"]]["sha256"]
    plans = {e["compute_capability"]: name for name, e in manifest.get("engines", {}).items()
             if e.get("frame_io") and e["precision"] == opts.precision} if opts.device == "gpu" else {}
    platform = "tensorrt_plan" if plans else "onnxruntime_onnx"
    model_dir = opts.repo / card.name
    _write_model(folder, manifest, model_dir, config_text(card.name, card, opts, platform, plans, sha), twin["file"], plans)
    log(f"triton: {model_dir} ({platform}, {opts.precision} frames twin, max batch {opts.max_batch}, "
        f"{opts.instances} x {opts.device}; vgx_id {sha[:12]})")
    carried = info.get("carried", {})
    if "frame_io" in carried:  # a style model: its carried-norm twin for streams (always ONNX: no carried plan)
        from vgx.runtime.triton_runner import carried_model

        name, file = carried_model(card.name), carried["frame_io"]["file"]
        text = config_text(name, card, opts, sha256=manifest["files"][file]["sha256"], state_size=int(carried["state_size"]))
        _write_model(folder, manifest, opts.repo / name, text, file, {})
        log(f"triton: {opts.repo / name} (its carried-norm twin for streams, unbatched)")
    return model_dir


def _write_model(folder: Path, manifest: dict, model_dir: Path, text: str, twin: str, plans: dict[str, str]) -> None:
    """One model folder: the config (checked against Triton's schema first), the plans or the twin
    with its vgx_id output, and the artifact's manifest."""
    validate_config(text)
    version = model_dir / "1"
    version.mkdir(parents=True, exist_ok=True)
    for name in plans.values():
        with atomic_path(version / name) as tmp:
            tmp.write_bytes(mf.verified_path(folder, manifest, name).read_bytes())
    if not plans:
        digest = bytes.fromhex(manifest["files"][twin]["sha256"])
        with atomic_path(version / "model.onnx") as tmp:
            onnx.save(with_id_output(onnx.load(str(mf.verified_path(folder, manifest, twin))), digest), str(tmp))
    with atomic_path(model_dir / "vgx_manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    with atomic_path(model_dir / "config.pbtxt") as tmp:
        tmp.write_text(text)
