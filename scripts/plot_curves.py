#!/usr/bin/env python
"""docs/training_curves.png: Set5 PSNR-Y against training step for every run in runs/zoo,
with the paper figure (dashed) where there is one."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from vgx.sr_protocol import PAPER_SET5  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(runs: Path = ROOT / "runs" / "zoo", out: Path = ROOT / "docs" / "training_curves.png") -> None:
    logs = sorted(p for p in runs.glob("*/train_log.csv") if not p.parent.name.startswith(("dcgan", "vae", "style")))
    scales = sorted({int(p.parent.name.rsplit("-x", 1)[1]) for p in logs if "-x" in p.parent.name})
    fig, axes = plt.subplots(1, len(scales), figsize=(5 * len(scales), 4), squeeze=False)
    for ax, scale in zip(axes[0], scales):
        for log in logs:
            name = log.parent.name
            if not name.endswith(f"-x{scale}"):
                continue
            rows = [r for r in csv.DictReader(log.open()) if r.get("val_psnr_y")]
            if not rows:
                continue
            line, = ax.plot([int(r["step"]) for r in rows], [float(r["val_psnr_y"]) for r in rows], label=name)
            if name in PAPER_SET5:
                ax.axhline(PAPER_SET5[name], ls="--", lw=0.8, color=line.get_color())
        ax.set_title(f"x{scale}: Set5 PSNR-Y (dashed: paper)")
        ax.set_xlabel("step")
        ax.set_ylabel("dB")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
