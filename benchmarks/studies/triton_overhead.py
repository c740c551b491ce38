"""What Triton and Ray cost and give on this machine (issue: beyond one machine).

    python -m vgx.benchmarks.studies.triton_overhead [--model espcn-x2] [--frames 40] [--size 640x360]

Starts `vgx serve MODEL` (PyTriton), then in one run: per-frame latency of local ONNX Runtime,
of the triton:// backend over gRPC and over system shared memory (medians, same model and
threads); total throughput with 1, 2 and 4 concurrent streams through the one server (dynamic
batching); and `vgx batch` wall time over the same files with 1 and 2 workers. Writes
benchmarks/results/triton.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from vgx.images import parse_size


def median_ms(fn: Any, frames: list[np.ndarray]) -> float:
    fn(frames[0])  # warm-up
    times = []
    for f in frames:
        t = time.perf_counter()
        fn(f)
        times.append((time.perf_counter() - t) * 1e3)
    return round(float(np.median(times)), 2)


def start_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    import tritonclient.grpc as grpc

    proc = subprocess.Popen([sys.executable, "-m", "vgx", "serve", str(folder), "--port", str(port), "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    client = grpc.InferenceServerClient(f"127.0.0.1:{port}")
    name = json.loads((folder / "manifest.json").read_text())["card"]["name"]
    for _ in range(240):
        try:
            if client.is_model_ready(name):
                return proc
        except Exception:  # noqa: BLE001 - starting
            pass
        time.sleep(0.5)
    raise SystemExit("vgx serve did not start")


def concurrent_fps(folder: Path, uri: str, streams: int, frames: list[np.ndarray]) -> float:
    from vgx.runtime import Enhancer

    done: list[int] = []

    def stream() -> None:
        with Enhancer(folder, backend=uri) as enh:
            for f in frames:
                enh(f)
            done.append(len(frames))

    threads = [threading.Thread(target=stream) for _ in range(streams)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return round(sum(done) / (time.perf_counter() - t), 2)


def batch_seconds(folder: Path, files: list[Path], workers: int) -> float:
    out = Path(tempfile.mkdtemp())
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vgx", "batch", *map(str, files), "--model", str(folder), "--out", str(out),
                    "--workers", str(workers)], check=True, capture_output=True)
    shutil.rmtree(out)
    return round(time.perf_counter() - t, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="espcn-x2")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--port", type=int, default=18301)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args()
    from vgx.cli.wiring import connect
    from vgx.runtime import Enhancer
    from vgx.runtime.resolve import resolve_artifact
    from vgx.runtime.video_writer import VideoWriter

    connect()
    folder = resolve_artifact(args.model)
    w, h = parse_size(args.size)
    rng = np.random.default_rng(0)
    frames = [(rng.random((h, w, 3)) * 255).astype(np.uint8) for _ in range(args.frames)]
    res: dict[str, Any] = {"model": args.model, "size": args.size, "frames": args.frames, "cpus": os.cpu_count()}
    with Enhancer(folder, backend="ort-cpu", threads=1) as enh:
        res["local_ort_ms"] = median_ms(enh, frames)
    proc = start_server(folder, args.port)
    try:
        for label, query in (("triton_grpc_ms", ""), ("triton_shm_ms", "?shm=1")):
            with Enhancer(folder, backend=f"triton://127.0.0.1:{args.port}{query}") as enh:
                res[label] = median_ms(enh, frames)
        res["streams_fps"] = {n: concurrent_fps(folder, f"triton://127.0.0.1:{args.port}", n, frames[: args.frames // 2])
                              for n in (1, 2, 4)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    clips = Path(tempfile.mkdtemp())
    files = []
    for i in range(4):
        files.append(clips / f"clip{i}.mp4")
        writer = VideoWriter(files[-1], 320, 180, 25.0)
        for f in frames[:20]:
            writer.write(np.ascontiguousarray(f[:180, :320]))
        writer.close()
    res["batch_seconds"] = {n: batch_seconds(folder, files, n) for n in (1, 2)}
    shutil.rmtree(clips)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "triton.json").write_text(json.dumps(res, indent=1))
    md = (f"| {args.model} {args.size}, per frame (median ms) | local ORT CPU | Triton gRPC | Triton shared memory |\n"
          f"|---|---:|---:|---:|\n"
          f"| 1 thread each | {res['local_ort_ms']} | {res['triton_grpc_ms']} | {res['triton_shm_ms']} |\n\n"
          "| concurrent streams through one server | 1 | 2 | 4 |\n|---|---:|---:|---:|\n"
          "| total frames/s | " + " | ".join(str(res["streams_fps"][n]) for n in (1, 2, 4)) + " |\n\n"
          f"vgx batch, 4 clips of 20 frames at 320x180: 1 worker {res['batch_seconds'][1]} s, "
          f"2 workers {res['batch_seconds'][2]} s (Ray start included)\n")
    (args.out / "triton.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
