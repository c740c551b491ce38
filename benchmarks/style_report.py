"""Flicker of style models on real clips: the stability goal (<= 1.3 on every clip).

    python -m vgx.benchmarks.style_report [--models style-wave,style-wave-slim,...|shipped]
        [--videos ../shared/data/video] [--frames 48] [--width 480]

Each clip's first `--frames` frames, scaled to at most `--width` pixels wide (multiples of
4, as the nets need), go through the model frame by frame in PyTorch; the flicker ratio
(vgx.flicker) compares output with input motion. Writes benchmarks/results/style.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from rich.progress import Progress

from vgx.errors import VgxError
from vgx.flicker import flicker_ratio
from vgx.train import zoo
from vgx.train.evaluate import to_tensor, to_uint8
from vgx.train.loading import load_model

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")


def read_clip(path: Path, frames: int, width: int) -> list[np.ndarray]:
    """Up to `frames` BGR frames, scaled to at most `width` wide, both sides multiples of 4."""
    cap = cv2.VideoCapture(str(path))
    out: list[np.ndarray] = []
    while len(out) < frames:
        ok, frame = cap.read()
        if not ok:
            break
        h, w = frame.shape[:2]
        s = min(1.0, width / w)
        size = (max(4, round(w * s / 4) * 4), max(4, round(h * s / 4) * 4))
        out.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA) if size != (w, h) else frame)
    cap.release()
    if len(out) < 2:
        raise VgxError(f"{path}: fewer than two decodable frames")
    return out


@torch.inference_mode()
def stylize(model: torch.nn.Module, frames: list[np.ndarray]) -> list[np.ndarray]:
    """BGR frames in, BGR frames out (the flicker metric's convention)."""
    return [np.ascontiguousarray(to_uint8(model(to_tensor(f[:, :, ::-1])))[:, :, ::-1]) for f in frames]


def measure(models: list[str], clips: list[Path], frames: int, width: int) -> list[dict[str, Any]]:
    rows = []
    loaded = {c.name: read_clip(c, frames, width) for c in clips}
    with Progress() as progress:
        task = progress.add_task("flicker", total=len(models) * len(clips))
        for name in models:
            model, card = load_model(name)
            model.eval()
            ratios = {}
            for clip, inputs in loaded.items():
                progress.update(task, description=f"{card.name} {clip}")
                ratios[clip] = round(flicker_ratio(inputs, stylize(model, inputs)), 3)
                progress.advance(task)
            rows.append({"model": card.name, "source": name, "train_steps": card.train_steps,
                         "flicker": ratios,
                         "flicker_max": max(ratios.values()),
                         "flicker_mean": round(float(np.mean(list(ratios.values()))), 3)})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    clips = list(rows[0]["flicker"]) if rows else []
    head = "| model | " + " | ".join(Path(c).stem for c in clips) + " | max |\n|---|" + "---:|" * (len(clips) + 1) + "\n"
    return head + "\n".join(f"| {r['model']} | " + " | ".join(f"{r['flicker'][c]:.2f}" for c in clips)
                            + f" | {r['flicker_max']:.2f} |" for r in rows) + "\n"


def shipped_styles() -> list[str]:
    return [e.name for e in zoo.ZOO.values() if e.task == "style" and zoo.shipped_weights(e.name) is not None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="shipped", help="comma list of zoo names or checkpoints, or 'shipped'")
    ap.add_argument("--videos", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/video")
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--width", type=int, default=480)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--stem", default="style")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    models = shipped_styles() if args.models == "shipped" else args.models.split(",")
    clips = sorted(p for p in args.videos.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    rows = measure(models, clips, args.frames, args.width)
    args.out.mkdir(parents=True, exist_ok=True)
    doc = {"schema": 1, "frames": args.frames, "width": args.width, "videos": str(args.videos), "rows": rows}
    (args.out / f"{args.stem}.json").write_text(json.dumps(doc, indent=1))
    md = markdown(rows)
    (args.out / f"{args.stem}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
