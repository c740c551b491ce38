"""Validation during training: PSNR-Y / SSIM on held-out images and a sample grid PNG."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from torch import nn

from vgx.card import ModelCard
from vgx.images import caption, demo_images, list_images, load_rgb, mod_crop, save_rgb, side_by_side

from .evaluate import score_image


class Validator:
    """Scores a model on a fixed set of HR images (a folder, or the built-in demo images)."""

    def __init__(self, card: ModelCard, folder: str | None, max_images: int = 20) -> None:
        self.scale = card.scale
        # real-world models are watched on what they are for: the mild camera/stream setting
        self.degrade = None
        if card.degradation == "real":
            from .degrade import parse_spec

            self.degrade = parse_spec("mild")
        if folder:
            self.images = {f.name: load_rgb(f) for f in list_images(folder)[:max_images]}
        else:
            self.images = demo_images()

    def run(self, model: nn.Module, grid_path: Path | None = None) -> dict[str, float]:
        """Mean PSNR-Y / SSIM; writes the grid (LR | bicubic | model | HR crops) if asked."""
        was_training = model.training
        model.eval()
        scores, rows = [], []
        for i, (name, hr) in enumerate(self.images.items()):
            score, sr, bic = score_image(model, hr, self.scale, name, self.degrade, i)
            scores.append(score)
            if grid_path is not None and i < 4:
                rows.append(self._grid_row(mod_crop(hr, self.scale), sr, bic))
        model.train(was_training)
        if grid_path is not None and rows:
            width = max(r.shape[1] for r in rows)
            rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
            panel = rows[0].shape[0] - 4
            grid = caption(np.concatenate(rows), ["LR", "bicubic", "model", "HR"], [panel] * 4)
            save_rgb(grid_path, grid)
            save_rgb(grid_path.with_name("latest.png"), grid)
        return {"val_psnr_y": float(np.mean([s.psnr_y for s in scores])),
                "val_ssim": float(np.mean([s.ssim for s in scores]))}

    def _grid_row(self, hr: np.ndarray, sr: np.ndarray, bic: np.ndarray, crop: int = 160) -> np.ndarray:
        """A centre crop of each; LR shown nearest-upscaled so its pixels are visible."""
        s = self.scale
        c = min(crop - crop % s, hr.shape[0] - hr.shape[0] % s, hr.shape[1] - hr.shape[1] % s)
        y, x = (hr.shape[0] - c) // 2 // s * s, (hr.shape[1] - c) // 2 // s * s
        cut = lambda a: a[y : y + c, x : x + c]  # noqa: E731
        small = cv2.resize(cut(hr), (c // s, c // s), interpolation=cv2.INTER_AREA)
        lr = cv2.resize(small, (c, c), interpolation=cv2.INTER_NEAREST)
        return side_by_side([lr, cut(bic), cut(sr), cut(hr)])
