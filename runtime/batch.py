"""`vgx batch`: an archive of videos and images through one model, on Ray.

One Ray task per file; each worker is an actor that opens the model once (its backend
chosen as `vgx stream` would: TensorRT, ORT CUDA, ORT CPU) and runs files through the same
lossless pipeline as `vgx stream FILE -o OUT`, so outputs are the same frame for frame:
videos keep their audio, images come out as PNG. Every output is written under a temp name
and renamed when complete. A job manifest (`OUT/vgx_batch.json`: per file status, frames,
seconds, error) is rewritten after every file, so a second run skips what is done; one
corrupt file is recorded as failed and the others go on. Without an address Ray starts
locally (`num_cpus` = workers); `--ray auto` or `ray://HOST:10001` joins a cluster, and
GPU workers ask Ray for `num_gpus`.
"""

from __future__ import annotations

import glob
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vgx.atomic import atomic_path
from vgx.errors import VgxError
from vgx.images import IMAGE_SUFFIXES

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v")
MANIFEST = "vgx_batch.json"


@dataclass
class BatchJob:
    inputs: list[str]
    model: str  # an artifact folder (the CLI resolves zoo names to one first)
    out: Path
    ray_address: str | None = None
    workers: int = 1
    precision: str = "fp32"
    backend: str = "auto"
    gpus_per_worker: float = 0.0
    threads: int | None = 1  # ONNX Runtime threads per worker
    smooth: float | None = None  # temporal smoothing of videos; None: as `vgx stream` gives the model's task
    carry_norms: float | None = None  # norm statistics carried between a video's frames; None: as `vgx stream`


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files, folders (videos and images directly inside) and globs; sorted, each once."""
    found: dict[Path, None] = {}
    wanted = VIDEO_SUFFIXES + IMAGE_SUFFIXES
    for text in inputs:
        if any(c in text for c in "*?["):
            matches = [Path(p) for p in sorted(glob.glob(text)) if Path(p).suffix.lower() in wanted]
            if not matches:
                raise VgxError(f"no videos or images match {text!r}")
            found.update(dict.fromkeys(matches))
        elif Path(text).is_dir():
            inside = sorted(p for p in Path(text).iterdir() if p.is_file() and p.suffix.lower() in wanted)
            if not inside:
                raise VgxError(f"no videos or images in {text}")
            found.update(dict.fromkeys(inside))
        elif Path(text).is_file():
            found[Path(text)] = None
        else:
            raise VgxError(f"input not found: {text}")
    return list(found)


def output_for(path: Path, out: Path) -> Path:
    """Where a file's result goes: videos keep their name, images become NAME.png."""
    return out / (path.name if path.suffix.lower() in VIDEO_SUFFIXES else f"{path.stem}.png")


def process_file(enh: Any, path: Path, target: Path, smooth: float | None = None) -> int:
    """`vgx stream PATH -o TARGET [--smooth S]` with an open Enhancer (lossless); written via a temp name.
    Norms carried between frames (Enhancer.carry_norms) start afresh with each file."""
    from .pipeline import Pipeline, StreamOptions
    from .sinks import ImageFolderSink, VideoFileSink
    from .sources import ImageFolderSource, open_source
    from .temporal import strength_for

    video = path.suffix.lower() in VIDEO_SUFFIXES
    if getattr(enh, "carry", None) is not None:
        enh.carry.reset()
    source = open_source(str(path)) if video else ImageFolderSource([path])
    with atomic_path(target, suffix=target.suffix) as tmp:
        sink: Any = VideoFileSink(tmp, source.fps, path) if video else ImageFolderSink(tmp.parent / f".{tmp.name}.d")
        options = StreamOptions(policy="lossless", smooth=strength_for(enh.card.task, smooth))
        stats = Pipeline(source, enh, [sink], options, log=lambda s: None).run()
        if stats.frames_out == 0:
            sink.discard()
            raise VgxError(f"{path.name}: no frame could be decoded")
        if not video:  # the folder sink named the image after its input: move it to the temp name
            made = sink.folder / f"{path.stem}.png"
            os.replace(made, tmp)
            sink.folder.rmdir()
    return stats.frames_out


class Worker:
    """A Ray actor body: one open model, many files."""

    def __init__(self, folder: str, precision: str, backend: str, threads: int | None, smooth: float | None,
                 carry_norms: float | None = None) -> None:
        from .enhancer import Enhancer
        from .norm_carry import keep_for

        self.enh = Enhancer(folder, precision, backend, threads=threads).__enter__()
        self.enh.carry_norms(keep_for(self.enh.card.task, carry_norms))  # where it cannot, frames run per frame
        self.smooth = smooth

    def run(self, path: str, target: str) -> dict[str, Any]:
        t = time.perf_counter()
        try:
            frames = process_file(self.enh, Path(path), Path(target), self.smooth)
            return {"status": "done", "frames": frames, "seconds": round(time.perf_counter() - t, 3), "output": target}
        except Exception as e:  # noqa: BLE001 - one bad file is recorded and the job goes on
            msg = " ".join(str(e).split())[:300] or type(e).__name__
            return {"status": "failed", "frames": 0, "seconds": round(time.perf_counter() - t, 3), "error": msg}


def read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.is_file():
        return {"schema": 1, "files": {}}
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise VgxError(f"{path} is damaged; move it away to start the job afresh") from None


def write_manifest(out: Path, doc: dict[str, Any]) -> None:
    with atomic_path(out / MANIFEST) as tmp:
        tmp.write_text(json.dumps(doc, indent=1))


def run_batch(job: BatchJob, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Runs the job; returns {"done", "failed", "skipped", "files"}."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise VgxError("vgx batch needs Ray: pip install 'vgx[batch]'") from None
    if job.workers < 1:
        raise VgxError("--workers must be at least 1")
    from .norm_carry import check_keep
    from .temporal import check_strength

    check_strength(job.smooth)  # before Ray starts
    check_keep(job.carry_norms)
    files = expand_inputs(job.inputs)
    job.out.mkdir(parents=True, exist_ok=True)
    doc = read_manifest(job.out)
    doc.update(model=str(job.model), precision=job.precision)
    todo = [f for f in files if not (doc["files"].get(str(f), {}).get("status") == "done"
                                     and output_for(f, job.out).is_file())]
    skipped = len(files) - len(todo)
    if skipped:
        log(f"skipping {skipped} of {len(files)} files already done (see {job.out / MANIFEST})")
    if todo:
        started = not ray.is_initialized()
        if started:
            kw: dict[str, Any] = {"address": job.ray_address} if job.ray_address else {"num_cpus": job.workers}
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **kw)
        try:
            _run_pool(ray, ActorPool, job, todo, doc, log)
        finally:
            if started:
                ray.shutdown()
    entries = [doc["files"].get(str(f), {}) for f in files]
    return {"done": sum(e.get("status") == "done" for e in entries), "failed": sum(e.get("status") == "failed" for e in entries),
            "skipped": skipped, "files": len(files), "failures": {f.name: e.get("error", "") for f, e in zip(files, entries)
                                                                  if e.get("status") == "failed"}}


def _run_pool(ray: Any, actor_pool: Any, job: BatchJob, todo: list[Path], doc: dict[str, Any],
              log: Callable[[str], None]) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    remote = ray.remote(num_cpus=1, num_gpus=job.gpus_per_worker)(Worker)
    actors = [remote.remote(str(job.model), job.precision, job.backend, job.threads, job.smooth, job.carry_norms)
              for _ in range(min(job.workers, len(todo)))]
    pool = actor_pool(actors)
    jobs = [(str(f), str(output_for(f, job.out))) for f in todo]
    with Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.description}")) as progress:
        task = progress.add_task("", total=len(jobs))
        for (path, _), result in zip(jobs, pool.map(lambda a, j: a.run.remote(*j), jobs)):
            doc["files"][path] = result
            write_manifest(job.out, doc)
            progress.update(task, advance=1, description=f"{Path(path).name}: {result['status']}")
            if result["status"] == "failed":
                log(f"failed: {Path(path).name}: {result['error']}")
