#!/usr/bin/env python
"""README gallery of the shipped styles: content images x styles, full and slim.

    python scripts/style_gallery.py [--size 160] [--out docs/style_gallery.jpg]

Content: ../shared/data/style/content-images (never trained on); without it, the built-in
demo images. Every model sees the same centre-square crop at `--size`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from vgx.images import caption, center_square, demo_images, list_images, load_rgb, save_rgb, side_by_side
from vgx.train import zoo
from vgx.train.loading import load_model
from vgx.train.tensors import to_tensor, to_uint8

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT.parent / "shared" / "data" / "style" / "content-images"


@torch.inference_mode()
def stylized(model: torch.nn.Module, img: np.ndarray) -> np.ndarray:
    return to_uint8(model(to_tensor(img)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--rows", type=int, default=4)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "style_gallery.jpg")
    args = ap.parse_args()
    sources = [load_rgb(f) for f in list_images(CONTENT)] if CONTENT.is_dir() else list(demo_images().values())
    contents = [center_square(img, args.size) for img in sources[: args.rows]]
    names = [e.name for e in zoo.ZOO.values() if e.task == "style" and zoo.shipped_weights(e.name)]
    models = [load_model(n)[0].eval() for n in names]
    rows = [side_by_side([c] + [stylized(m, c) for m in models]) for c in contents]
    grid = np.concatenate([np.pad(r, ((0, 4), (0, 0), (0, 0)), constant_values=255) for r in rows])
    labels = ["content"] + [n.removeprefix("style-").replace("-slim", " slim") for n in names]
    save_rgb(args.out, caption(grid, labels, [args.size] * len(labels)))
    print(f"wrote {args.out} ({len(names)} models)")


if __name__ == "__main__":
    main()
