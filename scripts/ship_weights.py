#!/usr/bin/env python
"""Ship finished runs into train/weights/.

    python scripts/ship_weights.py runs/zoo/espcn-x3/model.pt [...]            # SR: scored on Set5/Set14
    python scripts/ship_weights.py RUN.pt [...] --report benchmarks/results/generation.json
        # style / generators: the figures their report measured for the run (row 'model' = card name)
"""

import argparse
import json
from pathlib import Path

import torch

from vgx.train.ship import ship

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sr"
NOT_QUALITY = {"samples", "train_steps", "source"}


def report_quality(report: Path, name: str, run: str) -> dict[str, float]:
    """The row of the report that measured this run (by its path, or by the card name)."""
    rows = json.loads(report.read_text())["rows"]
    row = next((r for r in rows if r["model"] == run), None) or next((r for r in rows if r["model"] == name), None)
    if row is None:
        raise SystemExit(f"{report} has no row for {name}: run its report on this run first")
    return {k: v for k, v in row.items() if isinstance(v, (int, float)) and k not in NOT_QUALITY}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--report", type=Path)
    args = ap.parse_args()
    for run in args.runs:
        if args.report:
            name = torch.load(run, weights_only=True)["card"]["name"]
            ship(run, quality=report_quality(args.report, name, run))
        else:
            ship(run, {"set5": DATA / "Set5", "set14": DATA / "Set14"})
