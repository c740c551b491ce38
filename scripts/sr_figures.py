#!/usr/bin/env python
"""README figures from the shipped weights (needs ../shared/data for the Set14 crops):

docs/srgan_vs_srresnet.jpg  - bicubic | srresnet-x4 | srgan-x4 | HR on Set14 crops
docs/upscale_demo.jpg       - what `vgx upscale` writes: bicubic | compact-x4 on a built-in image
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vgx.images import bicubic_resize, caption, demo_images, downscale, load_rgb, mod_crop, save_rgb, side_by_side
from vgx.train import zoo
from vgx.train.evaluate import upscale
from vgx.train.loading import load_model

ROOT = Path(__file__).resolve().parents[1]
SET14 = ROOT.parent / "shared" / "data" / "sr" / "Set14"
CROPS = {"baboon.png": (120, 250), "comic.png": (60, 100), "zebra.png": (150, 250)}  # (y, x) of 128px HR crops


def comparison(models: list[str], crop: int = 128, zoom: int = 2) -> np.ndarray:
    loaded = [load_model(m)[0] for m in models]
    rows = []
    for name, (y, x) in CROPS.items():
        hr = mod_crop(load_rgb(SET14 / name), 4)
        lr = downscale(hr, 4)
        outs = [bicubic_resize(lr, (hr.shape[1], hr.shape[0]))] + [upscale(m, lr) for m in loaded] + [hr]
        cut = [o[y : y + crop, x : x + crop].repeat(zoom, 0).repeat(zoom, 1) for o in outs]
        rows.append(side_by_side(cut))
    grid = np.concatenate([np.pad(r, ((0, 4), (0, 0), (0, 0)), constant_values=255) for r in rows])
    return caption(grid, ["bicubic", *models, "HR"], [crop * zoom] * (len(models) + 2))


def main() -> None:
    docs = ROOT / "docs"
    if all(zoo.shipped_weights(m) for m in ("srresnet-x4", "srgan-x4")) and SET14.is_dir():
        save_rgb(docs / "srgan_vs_srresnet.jpg", comparison(["srresnet-x4", "srgan-x4"]))
    model = "compact-x4" if zoo.shipped_weights("compact-x4") else "espcn-x2"
    m, card = load_model(model)
    lr = demo_images()["chelsea"][60:210, 120:320]
    sr = upscale(m, lr)
    bic = bicubic_resize(lr, (sr.shape[1], sr.shape[0]))
    save_rgb(docs / "upscale_demo.jpg", caption(side_by_side([bic, sr]), ["bicubic", model], [sr.shape[1]] * 2))
    print(f"wrote {docs}")


if __name__ == "__main__":
    main()
