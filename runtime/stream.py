"""`vgx stream`: a source URI through a model into one or more sink URIs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vgx.errors import VgxError
from vgx.manifest import PRECISIONS

from .enhancer import Enhancer
from .norm_carry import check_keep, keep_for
from .pipeline import Pipeline, StreamOptions
from .sinks import open_sink, output_kind
from .sources import open_source
from .switcher import ModelSwitcher
from .temporal import check_strength, strength_for

SR_SCALES = (2, 3, 4)
DEFAULT_MODELS = {"sr": "espcn-x{scale}", "style": "style-{style}", "generate": "dcgan-faces",
                  "restore": "compact-x1-real"}  # restore: denoise / deblock / deblur at the input size
# live sources (cameras, network streams) carry noise and codec artefacts: where a model trained
# for them ships, `vgx stream` picks it by default (the CLI checks what ships; the runtime cannot)
LIVE_SR_MODELS = {2: "espcn-x2-real", 4: "compact-x4-real"}
DEFAULT_OUTPUT = "vgx-out/stream.mp4"


@dataclass
class StreamRequest:
    input: str = "demo://"
    task: str = "sr"
    model: str | None = None
    scale: int = 2
    style: str = "starry-night"  # with task style; a comma list switches with the display's m key
    slim: bool = False
    precision: str = "fp32"
    backend: str = "auto"
    size: tuple[int, int] | None = None
    input_fps: float | None = None
    outputs: list[str] = field(default_factory=list)
    policy: str | None = None  # None: live for cameras/network, lossless for files
    batch: int = 1
    side_by_side: bool = False
    hud: bool = False
    bind: str | None = None
    frames: int | None = None
    threads: int | None = None
    stats_json: Path | None = None
    tile: int | None = None
    smooth: float | None = None  # None: temporal.DEFAULT_STRENGTH for the model's task
    carry_norms: float | None = None  # None: norm_carry.DEFAULT_KEEP for the model's task


def model_for(req: StreamRequest) -> str:
    if req.model:
        return req.model
    if req.task not in DEFAULT_MODELS:
        raise VgxError(f"--task must be one of {', '.join(DEFAULT_MODELS)}, not {req.task!r}")
    if req.task == "style":
        suffix = "-slim" if req.slim else ""
        return ",".join(DEFAULT_MODELS["style"].format(style=s.strip()) + suffix for s in req.style.split(","))
    if req.task == "restore":
        return DEFAULT_MODELS["restore"]
    if req.task == "sr" and req.scale not in SR_SCALES:
        raise VgxError(f"--scale must be one of {', '.join(map(str, SR_SCALES))} (the zoo's SR scales), not {req.scale}")
    return DEFAULT_MODELS[req.task].format(scale=req.scale)


def run_stream(req: StreamRequest, log: Callable[[str], None] = print) -> dict[str, Any]:
    if req.policy not in (None, "live", "lossless"):
        raise VgxError(f"--policy must be live or lossless, not {req.policy!r}")
    if req.batch < 1:
        raise VgxError("--batch must be at least 1")
    if req.precision not in PRECISIONS:
        raise VgxError(f"unknown precision {req.precision!r}: choose {', '.join(PRECISIONS)}")
    check_strength(req.smooth)  # before the model loads
    check_keep(req.carry_norms)
    for uri in req.outputs:  # a bad output fails now, not after the model has loaded
        output_kind(uri)
    if req.task == "generate":
        return _run_generator(req, log)
    source = open_source(req.input, req.size, req.input_fps, req.frames)
    policy = req.policy or ("live" if source.live else "lossless")
    outputs = req.outputs or [DEFAULT_OUTPUT]
    sinks = []
    names = [m for m in model_for(req).split(",") if m]
    try:
        with ExitStack() as stack:
            enhancers = [stack.enter_context(Enhancer(name, req.precision, req.backend, tile=req.tile,
                                                      threads=req.threads, log=log)) for name in names]
            enh = enhancers[0]
            for uri in outputs:
                sinks.append(open_sink(uri, source.fps, getattr(source, "path", None), req.bind))
                log(f"output: {sinks[-1].name}")
            smooth = strength_for(enh.card.task, req.smooth)
            if smooth and req.smooth is None:
                log(f"temporal smoothing {smooth} for {enh.card.task} (steadier video; --smooth 0 turns it off)")
            carry_norms(enhancers, req.carry_norms, log)
            options = StreamOptions(policy=policy, batch=req.batch, side_by_side=req.side_by_side, hud=req.hud,
                                    max_frames=req.frames, smooth=smooth)
            model = enh if len(enhancers) == 1 else ModelSwitcher(enhancers)  # display key m switches
            pipeline = Pipeline(source, model, sinks, options, log=log)
            log(f"streaming {req.input} ({policy}) through {enh.card.name} x{enh.scale} [{enh.choice.backend}, "
                f"{enh.choice.precision}]; Ctrl-C stops cleanly")
            stop = _stop_on_signals()
            with _progress(pipeline, source.total if not req.frames else min(req.frames, source.total or req.frames)):
                stats = pipeline.run(until=stop)
            if stats.frames_out == 0 and not stop.is_set():
                for sink in sinks:
                    sink.discard()
                raise VgxError(_nothing_decoded(req.input, source))
    except BaseException:
        source.close()
        for s in sinks:
            s.close()
        raise
    summary = stats.to_dict()
    gaps = getattr(enh.runner, "gaps", None)  # a remote backend's outages (triton://), counted as for network sources
    if gaps is not None:
        summary["backend_gaps"] = gaps
    if req.stats_json:
        extra = {"model": enh.card.name, "backend": enh.choice.backend, "precision": enh.choice.precision, "policy": policy,
                 "smooth": options.smooth, "carry_norms": enh.carry.keep if enh.carry else 0.0,
                 "norm_resets": sum(e.carry.resets for e in enhancers if e.carry)}  # cuts, size changes, pauses
        stats.write_json(req.stats_json, {**extra, **({"backend_gaps": gaps} if gaps is not None else {})})
    return summary


def carry_norms(enhancers: list[Enhancer], asked: float | None, log: Callable[[str], None]) -> None:
    """Each model's norms carried between frames at `asked` (None: its task's default), said once."""
    keep = keep_for(enhancers[0].card.task, asked)
    if keep <= 0.0:
        return
    notes = {e.card.name: e.carry_norms(keep) for e in enhancers}
    for name, why in notes.items():
        if why:
            log(f"{name}: {why}")
    if any(why is None for why in notes.values()):
        log(f"norm statistics carried between frames (keep {keep}; steadier style video; --carry-norms 0 turns it off)")


def _nothing_decoded(uri: str, source: Any) -> str:
    """Why a stream produced no frame at all (a long stream skipping some bad frames is fine)."""
    if source.errors:
        total = f" of {source.total}" if source.total else ""
        names = source.failed[:3] + (["..."] if len(source.failed) > 3 else [])
        which = f": {', '.join(names)}" if names else ""
        return f"no frame of {uri} could be decoded ({source.errors}{total} failed{which}); nothing was written"
    return f"{uri} gave no frames (empty or unreadable): nothing was written"


def _run_generator(req: StreamRequest, log: Callable[[str], None]) -> dict[str, Any]:
    """A live latent walk through a generator (dcgan-faces, vae-faces): no input needed."""
    from .generator import GeneratorModel, LatentWalk

    with GeneratorModel(model_for(req), req.precision, req.backend, threads=req.threads, log=log) as gen:
        source = LatentWalk(gen.latent_dim, frames=req.frames)
        sinks = [open_sink(uri, source.fps, None, req.bind) for uri in (req.outputs or [DEFAULT_OUTPUT])]
        for s in sinks:
            log(f"output: {s.name}")
        options = StreamOptions(policy="live", hud=req.hud, max_frames=req.frames)
        stats = Pipeline(source, gen, sinks, options, log=log).run(until=_stop_on_signals())
    if req.stats_json:
        stats.write_json(req.stats_json, {"model": gen.card.name, "backend": gen.choice.backend})
    return stats.to_dict()


@contextmanager
def _progress(pipeline: Pipeline, total: int | None) -> Iterator[None]:
    """A rich progress bar (frames out, FPS) fed from the stream's stats by a small thread."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    done = threading.Event()
    progress = Progress(TextColumn("stream"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        TextColumn("{task.fields[fps]}"), console=Console(stderr=True), transient=True)

    def poll() -> None:
        while not done.wait(0.25):
            s = pipeline.stats
            progress.update(task, completed=s.frames_out, fps=f"{s.fps():.1f} fps, dropped {s.dropped}")

    with progress:
        task = progress.add_task("stream", total=total, fps="")
        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(1.0)


def _stop_on_signals() -> threading.Event:
    """SIGINT / SIGTERM set an event: the stream finishes queued frames and closes outputs."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    return stop
