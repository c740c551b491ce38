"""What carrying the norms' statistics costs a style stream: the plain graph against the carried one.

    python -m vgx.benchmarks.studies.carry_cost [--models style-udnie-slim,style-udnie] [--size 640x360]
        [--precision fp32] [--threads 1] [--rounds 5]

The carried-norm graph (export/carried.py) computes each InstanceNorm from ReduceMean/Mul/Add
instead of one fused InstanceNormalization node, and takes and returns the state. Per model,
the two graphs of one precision run the same frame on ONNX Runtime's CPU provider in
alternating rounds (so a busy machine slows both alike); p50 per frame and their ratio, with
the machine's measured peak beside them. Writes benchmarks/results/STEM.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from vgx import manifest as mf
from vgx.benchmarks.peak import measure_peak
from vgx.benchmarks.timing import measure, summarize
from vgx.convert import bgr_to_nchw
from vgx.images import parse_size
from vgx.runtime.norm_carry import KEEP_INPUT, STATE_INPUT
from vgx.runtime.ort_runner import ORTRunner
from vgx.runtime.resolve import resolve_artifact


def carry_cost(model: str, size: tuple[int, int], precision: str, threads: int, rounds: int) -> dict:
    folder = resolve_artifact(model, (precision,))
    manifest = mf.read(folder)
    info = manifest["precisions"][precision]
    if "carried" not in info:
        raise SystemExit(f"{folder} has no {precision} carried-norm graph: re-export {model}")
    w, h = size
    x = bgr_to_nchw([np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)])
    n = info["carried"]["state_size"]
    feeds = {"plain": {"input": x},
             "carried": {"input": x, STATE_INPUT: np.zeros((1, n), np.float32), KEEP_INPUT: np.float32([0.97])}}
    samples: dict[str, list[float]] = {k: [] for k in feeds}
    with ORTRunner(mf.verified_path(folder, manifest, info["file"]), threads=threads) as plain, \
            ORTRunner(mf.verified_path(folder, manifest, info["carried"]["file"]), threads=threads) as carried:
        runners = {"plain": plain, "carried": carried}
        for _ in range(rounds):
            for k, r in runners.items():
                samples[k] += measure(lambda r=r, f=feeds[k]: r.infer(f), target_s=1.0, min_runs=3)
    ms = {k: summarize(v)["p50"] for k, v in samples.items()}
    return {"model": model, "precision": precision, "size": f"{w}x{h}", "threads": threads,
            "plain_ms": ms["plain"], "carried_ms": ms["carried"], "ratio": round(ms["carried"] / ms["plain"], 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="style-udnie-slim,style-udnie")
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--stem", default="carry_cost")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    a = ap.parse_args()
    from vgx.cli.wiring import connect

    connect()  # zoo names export on first use
    peak = measure_peak(a.threads)
    rows = [carry_cost(m, parse_size(a.size), a.precision, a.threads, a.rounds) for m in a.models.split(",")]
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / f"{a.stem}.json").write_text(json.dumps({**peak.to_dict(), "cores": peak.cores, "rows": rows}, indent=1))
    lines = [f"Peak {peak.gflops or 0:.0f} GFLOP/s on {peak.cores} core(s) ({peak.note}); ONNX Runtime CPU, "
             f"{a.threads} thread(s), p50 per frame.", "",
             "| model | precision | frame | plain graph (ms) | carried norms (ms) | carried / plain |",
             "|---|---|---|---:|---:|---:|"]
    lines += [f"| {r['model']} | {r['precision']} | {r['size']} | {r['plain_ms']:.1f} | {r['carried_ms']:.1f} | "
              f"{r['ratio']:.2f} |" for r in rows]
    (a.out / f"{a.stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
