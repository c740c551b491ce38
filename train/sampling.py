"""Sampling the face generators: grids, one PNG per sample, and looping latent walks (MP4 or GIF)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from vgx.atomic import atomic_path
from vgx.errors import VgxError
from vgx.images import save_rgb

from .faces import grid
from .loading import load_model
from .tensors import to_uint8


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: stays on the shell where Gaussian latents live (a lerp
    midpoint of two such vectors is shorter than both and decodes to washed-out faces)."""
    an, bn = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((an * bn).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def latents(n: int, dim: int, seed: int) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def write_samples(model_name: str, n: int, seed: int, out: Path, interpolate: bool, steps: int,
                     keyframes: int = 4, fps: float = 24.0) -> Path:
    if n < 1 or steps < 2:
        raise VgxError("--n must be >= 1 and --steps >= 2")
    model, card = load_model(model_name)
    if card.task != "generate":
        raise VgxError(f"{card.name} is a {card.task} model; vgx generate needs dcgan-faces, vae-faces or your own")
    dim = card.arch_kwargs.get("latent_dim", 100)
    with torch.no_grad():
        if interpolate:
            keys = latents(keyframes + 1, dim, seed)
            keys[-1] = keys[0]  # a loop: the walk ends where it began
            zs = [slerp(keys[k], keys[k + 1], i / steps) for k in range(keyframes) for i in range(steps)]
            frames = model(torch.stack(zs))
            return _write_walk(frames, out, fps)
        images = model(latents(n, dim, seed))
    if out.suffix.lower() in (".png", ".jpg"):
        save_rgb(out, grid(images, cols=min(8, n)))
        return out
    if out.suffix:
        raise VgxError(f"--out {out}: use a .png for a grid, or a folder for one PNG per sample")
    for i, img in enumerate(to_uint8(images).reshape(n, *images.shape[2:], 3)):
        save_rgb(out / f"sample_{seed}_{i:03d}.png", img)
    return out


def _write_walk(frames: torch.Tensor, out: Path, fps: float, upscale: int = 4) -> Path:
    arr = to_uint8(frames).reshape(frames.shape[0], *frames.shape[2:], 3)
    arr = np.stack([cv2.resize(a, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_NEAREST) for a in arr])
    suffix = out.suffix.lower()
    if suffix == ".gif":
        from PIL import Image

        imgs = [Image.fromarray(a) for a in arr]
        with atomic_path(out, suffix=".gif") as tmp:
            imgs[0].save(tmp, save_all=True, append_images=imgs[1:], duration=int(1000 / fps), loop=0)
    elif suffix in (".mp4", ".mkv"):
        from vgx.runtime.video_writer import VideoWriter

        writer = VideoWriter(out, arr.shape[2], arr.shape[1], fps)
        for a in arr:
            writer.write(np.ascontiguousarray(a[:, :, ::-1]))
        writer.close()
    else:
        raise VgxError(f"--out {out}: a latent walk is written as .mp4 or .gif")
    return out
