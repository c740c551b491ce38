"""Precision ONNX -> TensorRT engine (thin: the ONNX already says every precision).

Strongly typed networks only: the flag on TensorRT 10.x, implicit (and the only mode) on
11.x. No FP16/INT8 builder flags, no legacy calibrators: both are deprecated in 10.x and
removed in 11.0. An optimization profile bounds the input shape, a timing cache file is
reused across builds, the workspace is capped, and version-compatible engines are an
option. This module cannot run on the CPU-only machines vgx is developed on; CI checks it
with mypy against tensorrt-stubs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vgx.environment import engine_tag, gpu_compute_capability, import_tensorrt
from vgx.errors import VgxError


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


def build_engine(onnx_path: Path, out_dir: Path, precision: str, options: EngineOptions) -> tuple[Path, dict[str, object]]:
    """Build and write the engine; return its path and its manifest entry."""
    import tensorrt as trt  # typed by tensorrt-stubs

    import_tensorrt()  # a clear error where only the stubs (or nothing) are installed
    cc = gpu_compute_capability()
    if cc is None:
        raise VgxError("--engine needs a CUDA GPU (cuda-python found none); export ONNX here, build on the GPU machine")
    version = str(trt.__version__)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if int(version.split(".")[0]) < 11:  # 11.x: strongly typed is the only mode
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise VgxError(f"TensorRT {version} cannot parse {onnx_path.name}: {errors[:300]}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mb << 20)
    if options.version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    profile = builder.create_optimization_profile()
    p = options.profile
    profile.set_shape(network.get_input(0).name, trt.Dims(list(p.min)), trt.Dims(list(p.opt)), trt.Dims(list(p.max)))
    config.add_optimization_profile(profile)
    cache_path = options.timing_cache
    cache_bytes = cache_path.read_bytes() if cache_path is not None and cache_path.is_file() else b""
    config.set_timing_cache(config.create_timing_cache(cache_bytes), False)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise VgxError(f"TensorRT {version} failed to build {onnx_path.name} (see the messages above)")
    tag = engine_tag(precision, version, cc)
    engine_path = out_dir / f"model.{tag}.engine"
    engine_path.write_bytes(bytes(memoryview(serialized)))
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache_path.write_bytes(bytes(memoryview(config.get_timing_cache().serialize())))
    entry: dict[str, object] = {
        "file": engine_path.name, "precision": precision, "onnx": onnx_path.name, "tensorrt": version,
        "compute_capability": cc, "version_compatible": options.version_compatible, "strongly_typed": True,
        "profile": {"min": list(p.min), "opt": list(p.opt), "max": list(p.max)}, "workspace_mb": options.workspace_mb,
    }
    return engine_path, entry
