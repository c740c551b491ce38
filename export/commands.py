"""What `vgx export` and `vgx verify` do (the CLI only parses arguments)."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from vgx.errors import VgxError
from vgx.images import parse_size

from .int8 import Int8Config

console = Console(stderr=True)


def export_command(model_name: str, out: Path | None, fp16: bool, int8: Int8Config | None, engine: bool,
                   shapes: dict[str, str | None], batch: int, workspace_mb: int, version_compatible: bool,
                   timing_cache: Path | None) -> Path:
    from vgx.train.loading import load_model

    from .artifact import ExportOptions, export_artifact

    if engine and int8 is not None and int8.target == "cpu":
        raise VgxError("TensorRT engines need the gpu int8 target (symmetric int8): use --int8-target gpu with --engine")
    model, card = load_model(model_name)
    target = out or Path("exports") / card.name
    engine_opts = None
    if engine:
        from .engine import EngineOptions, Profile

        m = card.multiple_of
        defaults = {"min": f"{8 * m}x{8 * m}", "opt": "640x360", "max": "1920x1080"}
        dims = {k: parse_size(shapes.get(k) or defaults[k], m) for k in defaults}
        profile = Profile(*[(1 if k != "max" else batch, 3, dims[k][1], dims[k][0]) for k in ("min", "opt", "max")])
        engine_opts = EngineOptions(profile, workspace_mb, version_compatible, timing_cache or target.parent / "timing.cache")
    precisions = ["fp32"] + (["fp16"] if fp16 else []) + (["int8"] if int8 else [])
    opts = ExportOptions(target, fp16, int8, engine_opts, precisions if engine else [], source=model_name)
    t = time.perf_counter()
    console.print(f"exporting {card.name} -> {target} ({', '.join(precisions)})")
    export_artifact(model, card, opts, log=lambda s: console.print(f"  {s}"))
    console.print(f"[green]done[/] in {time.perf_counter() - t:.1f} s: {target}")
    return target
