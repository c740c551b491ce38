"""Load: the MJPEG server under many clients, some of them slow readers.

    python -m vgx.benchmarks.studies.load_mjpeg [--clients 20] [--slow 5] [--seconds 60] [--model espcn-x2]

A live demo stream (30 fps source) runs through the model into the MJPEG server, first
`--seconds / 3` with no client, then `--seconds` with the clients (a separate process, so
their work is not charged to the server). Goals: the stream's FPS with clients is at least
90% of its FPS without; resident memory stays bounded (slow clients skip frames, they do
not queue them); every fast client keeps receiving frames. Writes
benchmarks/results/load_mjpeg.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from vgx.images import parse_size
from vgx.runtime import Enhancer
from vgx.runtime.mjpeg import MjpegServer
from vgx.runtime.pipeline import Pipeline, StreamOptions
from vgx.runtime.sources import DemoSource

from .soak import process_figures

# The clients: N threads in one process; slow ones read 2 kB every 50 ms (~40 kB/s).
CLIENTS = r"""
import sys, threading, time, urllib.request
url, fast, slow, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
got = {}
def client(k, slow):
    end, n = time.monotonic() + seconds, 0
    try:
        with urllib.request.urlopen(url, timeout=15) as r:
            while time.monotonic() < end:
                chunk = r.read(2048 if slow else 65536)
                if not chunk:
                    break
                n += chunk.count(b"--vgxframe")
                if slow:
                    time.sleep(0.05)
    except Exception as e:
        got[k] = (n, type(e).__name__)
        return
    got[k] = (n, "")
ts = [threading.Thread(target=client, args=(k, k >= fast)) for k in range(fast + slow)]
[t.start() for t in ts]
[t.join() for t in ts]
print(";".join(f"{k}:{n}:{err}" for k, (n, err) in sorted(got.items())))
"""


def measure(model: str, size: tuple[int, int], fast: int, slow: int, seconds: float) -> dict[str, Any]:
    server = MjpegServer("127.0.0.1", 0)
    source = DemoSource(size, frames=10**9, live=True)
    samples: list[dict[str, Any]] = []
    with Enhancer(model, threads=1) as enh:
        pipeline = Pipeline(source, enh, [server], StreamOptions(policy="live"))
        stop = threading.Event()
        runner = threading.Thread(target=lambda: pipeline.run(until=stop), daemon=True)
        runner.start()

        def phase(name: str, length: float) -> float:
            start_frames, t0 = pipeline.stats.frames_out, time.monotonic()
            while time.monotonic() - t0 < length:
                time.sleep(1.0)
                samples.append({"phase": name, "seconds": round(time.monotonic() - t0, 1),
                                "frames_out": pipeline.stats.frames_out, **process_figures()})
            return (pipeline.stats.frames_out - start_frames) / (time.monotonic() - t0)

        phase("warm-up", 5)
        alone = phase("no clients", seconds / 3)
        proc = subprocess.Popen([sys.executable, "-c", CLIENTS, f"http://127.0.0.1:{server.port}/stream", str(fast),
                                 str(slow), str(seconds)], stdout=subprocess.PIPE, text=True)
        loaded = phase("clients", seconds)
        out, _ = proc.communicate(timeout=seconds + 60)
        stop.set()
        runner.join(10)
    server.close()
    received = {int(k): (int(n), err) for k, n, err in (c.split(":") for c in out.strip().split(";") if c)}
    rss = [s["rss_mb"] for s in samples if s["phase"] != "warm-up"]
    return {"schema": 1, "model": model, "size": list(size), "clients": fast + slow, "slow_clients": slow,
            "seconds": seconds, "fps_alone": round(alone, 2), "fps_with_clients": round(loaded, 2),
            "fps_ratio": round(loaded / alone, 3) if alone else None,
            "rss_mb_min": min(rss), "rss_mb_max": max(rss),
            "frames_per_client": {k: v[0] for k, v in received.items()},
            "client_errors": {k: v[1] for k, v in received.items() if v[1]},
            "ok": bool(alone) and loaded >= 0.9 * alone and all(received[k][0] > 0 for k in range(fast)),
            "samples": samples}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--slow", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--model", default="espcn-x2")
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/load_mjpeg.json"))
    args = ap.parse_args()
    doc = measure(args.model, parse_size(args.size), args.clients - args.slow, args.slow, args.seconds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    per = sorted(doc["frames_per_client"].values())
    print(f"{doc['clients']} clients ({doc['slow_clients']} slow) for {doc['seconds']:.0f} s: stream {doc['fps_alone']} fps "
          f"alone -> {doc['fps_with_clients']} fps with clients ({doc['fps_ratio']:.0%}); RSS {doc['rss_mb_min']}-"
          f"{doc['rss_mb_max']} MB; frames per client {per[0]}..{per[-1]}; errors {doc['client_errors'] or 'none'}: "
          f"{'ok' if doc['ok'] else 'NOT OK'}")


if __name__ == "__main__":
    main()
