#!/usr/bin/env python
"""Ship finished runs into train/weights/.

    python scripts/ship_weights.py runs/zoo/espcn-x3/model.pt [...]            # SR: scored on Set5/Set14
    python scripts/ship_weights.py RUN.pt [...] --report benchmarks/results/generation.json
        # style / generators: the figures their report measured for the run (row 'model' = card name)
    python scripts/ship_weights.py runs/zoo/compact-x2-real/model.pt --report benchmarks/results/real_sr.json
        # -real SR: Set5/Set14 scored here, plus the degraded-input figures and flicker of the report
"""

import argparse
import json
from pathlib import Path

import torch

from vgx.train.ship import ship

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sr"
NOT_QUALITY = {"samples", "train_steps", "source", "scale"}
SCORED_HERE = {"set5_clean", "set14_clean"}  # ship() scores an SR run on clean Set5 / Set14 itself (set5_psnr_y, ...)


def report_quality(report: Path, name: str, run: str) -> dict[str, float]:
    """The row of the report that measured this run (by its path, or by the card name)."""
    rows = json.loads(report.read_text())["rows"]
    row = next((r for r in rows if r["model"] == run), None) or next((r for r in rows if r["model"] == name), None)
    if row is None:
        raise SystemExit(f"{report} has no row for {name}: run its report on this run first")
    quality = {k: v for k, v in row.items() if isinstance(v, (int, float)) and k not in NOT_QUALITY}
    per_clip = json.loads(report.read_text()).get("flicker", {}).get(row["model"])  # real_sr keeps flicker apart
    if per_clip:
        quality["flicker_max"] = max(per_clip.values())
    return quality


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--report", type=Path)
    args = ap.parse_args()
    for run in args.runs:
        card = torch.load(run, weights_only=True)["card"]
        quality = report_quality(args.report, card["name"], run) if args.report else None
        sr = card["task"] == "sr"
        if quality and sr:  # the report's clean-input figures are the ones ship() scores: keep one of each
            quality = {k: v for k, v in quality.items() if k not in SCORED_HERE}
        ship(run, {"set5": DATA / "Set5", "set14": DATA / "Set14"} if sr else None, quality=quality)
