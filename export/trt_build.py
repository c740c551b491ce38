"""Precision ONNX -> TensorRT engine (thin: the ONNX already says every precision).

One builder, three paths, picked from the installed version (`build_plan`):
- 8.5 / 8.6 (JetPack 5.1, older desktops and containers): weakly typed. An EXPLICIT_BATCH
  network, and the builder flag that lets TensorRT run the precision the ONNX carries: FP16
  for the fp16 file, INT8 (+FP16 for what stays float) for the QDQ file, whose Q/DQ nodes
  already say every scale (no calibrator). 8.5 is the oldest: `execute_async_v3` starts there.
  Their parser stops at opset 17: it is handed the exact opset-17 rewrite (export.opset17).
- 9.x / 10.x: strongly typed (the network flag), no precision flags: the ONNX decides.
- 11.x: strongly typed is the only mode (no flag).
Optional DLA (Orin/Xavier: `--dla-core N`) with GPU fallback for layers DLA lacks. An
optimization profile bounds the input shape, a timing cache file is reused across builds,
the workspace is capped, and version-compatible engines are an option. This module cannot
run on the CPU-only machines vgx is developed on; CI checks it with mypy against
tensorrt-stubs, and tests check which flags each version path sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import onnx

from vgx.environment import engine_tag, gpu_compute_capability, import_tensorrt
from vgx.errors import VgxError

from .opset17 import opset_of, to_opset17


@dataclass(frozen=True)
class Profile:
    """min / opt / max input shapes (N, C, H, W) of the optimization profile."""

    min: tuple[int, int, int, int]
    opt: tuple[int, int, int, int]
    max: tuple[int, int, int, int]


@dataclass(frozen=True)
class EngineOptions:
    profile: Profile
    workspace_mb: int = 1024
    version_compatible: bool = False
    timing_cache: Path | None = None
    dla_core: int | None = None


@dataclass(frozen=True)
class BuildPlan:
    """What one TensorRT version needs set: names of NetworkDefinitionCreationFlag / BuilderFlag."""

    network_flags: tuple[str, ...]
    builder_flags: tuple[str, ...]
    strongly_typed: bool
    max_opset: int  # the newest ONNX opset the release's parser reads


def build_plan(version: str, precision: str, dla_core: int | None = None, version_compatible: bool = False) -> BuildPlan:
    try:
        major, minor = (int(v) for v in version.split(".")[:2])
    except ValueError:
        raise VgxError(f"cannot read the TensorRT version {version!r}") from None
    if (major, minor) < (8, 5):
        raise VgxError(f"TensorRT {version} is older than 8.5, the first with execute_async_v3 (vgx's runner): "
                       "upgrade TensorRT (JetPack 5.1+)")
    if precision not in ("fp32", "fp16", "int8"):
        raise VgxError(f"unknown precision {precision!r}")
    builder: tuple[str, ...] = ()
    network: tuple[str, ...]
    max_opset = 20
    if major == 8:
        network, strongly, max_opset = ("EXPLICIT_BATCH",), False, 17
        builder = {"fp32": (), "fp16": ("FP16",), "int8": ("INT8", "FP16")}[precision]
    elif major < 11:
        network, strongly = ("STRONGLY_TYPED",), True
    else:
        network, strongly = (), True
    if dla_core is not None:
        if precision == "fp32":
            raise VgxError("DLA runs fp16 and int8 only: build the fp16 or int8 model for --dla-core")
        builder += ("GPU_FALLBACK",)
    if version_compatible:
        builder += ("VERSION_COMPATIBLE",)
    return BuildPlan(network, builder, strongly, max_opset)


def build_engine(onnx_path: Path, out_dir: Path, precision: str, options: EngineOptions,
                 form: str = "plain") -> tuple[Path, dict[str, object]]:
    """Build and write the engine; return its path and its manifest entry. `form`: "plain", "frames"
    (the uint8 frame-I/O twin, whose input is N x H x W x 3: the profile's N, C, H, W are laid out
    so) or "carried" (a style net's carried-norm graph, export/carried.py: named so in the manifest)."""
    import tensorrt as trt  # typed by tensorrt-stubs

    import_tensorrt()  # a clear error where only the stubs (or nothing) are installed
    cc = gpu_compute_capability()
    if cc is None:
        raise VgxError("--engine needs a CUDA GPU (cuda-python found none); export ONNX here, build on the GPU machine")
    version = str(trt.__version__)
    plan = build_plan(version, precision, options.dla_core, options.version_compatible)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    for name in plan.network_flags:  # by name: 8.x and 10.x stubs differ in which flags exist
        flags |= 1 << int(getattr(trt.NetworkDefinitionCreationFlag, name))
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    proto = onnx.load(str(onnx_path))
    if opset_of(proto) > plan.max_opset:
        proto = to_opset17(proto)
    if not parser.parse(proto.SerializeToString(), str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise VgxError(f"TensorRT {version} cannot parse {onnx_path.name}: {errors[:300]}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mb << 20)
    for name in plan.builder_flags:
        config.set_flag(getattr(trt.BuilderFlag, name))
    if options.dla_core is not None:
        config.default_device_type = trt.DeviceType.DLA
        config.DLA_core = options.dla_core
    profile = builder.create_optimization_profile()
    p = options.profile
    dims = [list(s) for s in (p.min, p.opt, p.max)]
    if form == "frames":
        dims = [[n, h, w, c] for n, c, h, w in dims]
    profile.set_shape(network.get_input(0).name, trt.Dims(dims[0]), trt.Dims(dims[1]), trt.Dims(dims[2]))
    for i in range(1, network.num_inputs):  # the carried graph's N x S state: its rows follow the batch
        extra = network.get_input(i)
        if len(extra.shape) == 2 and extra.shape[0] == -1:
            size = int(extra.shape[1])
            profile.set_shape(extra.name, trt.Dims([dims[0][0], size]), trt.Dims([dims[1][0], size]),
                              trt.Dims([dims[2][0], size]))
    config.add_optimization_profile(profile)
    cache_path = options.timing_cache
    cache_bytes = cache_path.read_bytes() if cache_path is not None and cache_path.is_file() else b""
    config.set_timing_cache(config.create_timing_cache(cache_bytes), False)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise VgxError(f"TensorRT {version} failed to build {onnx_path.name} (see the messages above)")
    tag = engine_tag(precision, version, cc)
    engine_path = out_dir / f"model.{tag}{'' if form == 'plain' else '.' + form}.engine"
    engine_path.write_bytes(bytes(memoryview(serialized)))
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache_path.write_bytes(bytes(memoryview(config.get_timing_cache().serialize())))
    entry: dict[str, object] = {
        "file": engine_path.name, "precision": precision, "onnx": onnx_path.name, "tensorrt": version,
        "compute_capability": cc, "version_compatible": options.version_compatible, "strongly_typed": plan.strongly_typed,
        "builder_flags": list(plan.builder_flags), "parsed_opset": opset_of(proto), "dla_core": options.dla_core,
        "frame_io": form == "frames", "carried": form == "carried",
        "profile": {"min": list(p.min), "opt": list(p.opt), "max": list(p.max)}, "workspace_mb": options.workspace_mb,
    }
    return engine_path, entry
