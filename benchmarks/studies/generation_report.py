"""Evidence for the face generators: do samples look like faces, are they new, are they varied?

    python -m vgx.benchmarks.studies.generation_report [--faces ../shared/data/faces/orl_att] [--n 256]

Per model (shipped weights, PyTorch): the share of samples in which an offline face detector
(scikit-image's LBP frontal-face cascade; OpenCV 5 no longer bundles cascades) finds a face,
beside the same share on the real training faces; the mean nearest-neighbour distance from
samples to the training faces beside the training faces' own (to their nearest other face)
and the held-out faces' (s37..s40, never trained on); diversity (mean pairwise distance) of
samples vs real faces; for the VAE, reconstruction PSNR on the held-out faces.
Writes benchmarks/results/generation.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from vgx.benchmarks.studies import SHARED
from vgx.images import list_images, load_rgb
from vgx.metrics import psnr
from vgx.train.faces import diversity, face_crop
from vgx.train.loading import load_model
from vgx.train.models.vae import ConvVAE
from vgx.train.sampling import latents
from vgx.train.tensors import to_tensor

HELD_OUT = {f"s{i}" for i in range(37, 41)}  # the split scripts/train_zoo.sh faces trains with
DETECT_UPSCALE = 3  # 64x64 faces are below the cascade's comfortable size; chosen on real faces


def load_faces(root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) faces as N x 3 x 64 x 64 in [0, 1], split by person folder."""
    files = list_images(root)
    split: dict[bool, list[np.ndarray]] = {True: [], False: []}
    for f in files:
        split[Path(f).parent.name in HELD_OUT].append(face_crop(load_rgb(f)))

    return to_tensor(np.stack(split[False])), to_tensor(np.stack(split[True]))


def face_rate(images: torch.Tensor) -> float:
    """Share of images where the LBP cascade finds at least one face."""
    from skimage import data
    from skimage.feature import Cascade

    cascade = Cascade(data.lbp_frontal_face_cascade_filename())
    grey = (images.mean(1).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
    hits = 0
    for g in grey:
        img = cv2.resize(g, None, fx=DETECT_UPSCALE, fy=DETECT_UPSCALE, interpolation=cv2.INTER_CUBIC)
        found = cascade.detect_multi_scale(img=img, scale_factor=1.1, step_ratio=1, min_size=(24, 24),
                                           max_size=img.shape[:2])
        hits += len(found) > 0
    return hits / len(grey)


def nn_distance(queries: torch.Tensor, pool: torch.Tensor, exclude_self: bool = False) -> float:
    """Mean RMS pixel distance (0..1 scale) from each query to its nearest image in `pool`."""
    q, p = queries.reshape(len(queries), -1), pool.reshape(len(pool), -1)
    d = torch.cdist(q, p)
    if exclude_self:
        d.fill_diagonal_(float("inf"))
    return float(d.min(1).values.mean() / q.shape[1] ** 0.5)


@torch.no_grad()
def evaluate(name: str, train: torch.Tensor, held_out: torch.Tensor, n: int, seed: int = 0) -> dict[str, Any]:
    model, card = load_model(name)
    model.eval()
    dim = card.arch_kwargs.get("latent_dim", 100)
    samples = model(latents(n, dim, seed)).clamp(0, 1)
    scale = train[0].numel() ** 0.5  # diversity() is a plain L2; report it per pixel like the NN distances
    out: dict[str, Any] = {
        "model": card.name, "samples": n, "train_steps": card.train_steps,
        "face_rate": round(face_rate(samples), 3),
        "nn_dist": round(nn_distance(samples, train), 4),
        "diversity": round(diversity(samples) / scale, 4),
    }
    if isinstance(model, ConvVAE):
        mu, _ = model.encode(held_out)
        out["recon_psnr_held_out"] = round(psnr(model.decode(mu).numpy(), held_out.numpy(), peak=1.0), 2)
    return out


def real_reference(train: torch.Tensor, held_out: torch.Tensor) -> dict[str, Any]:
    scale = train[0].numel() ** 0.5
    return {"model": "real faces", "samples": len(train), "face_rate": round(face_rate(train), 3),
            "nn_dist": round(nn_distance(train, train, exclude_self=True), 4),
            "nn_dist_held_out": round(nn_distance(held_out, train), 4),
            "diversity": round(diversity(train) / scale, 4)}


def markdown(rows: list[dict[str, Any]]) -> str:
    head = "| | face found | NN distance to train | diversity | VAE recon PSNR (held-out) |\n|---|---:|---:|---:|---:|\n"
    lines = []
    for r in rows:
        nn = f"{r['nn_dist']:.4f}" + (f" (held-out faces: {r['nn_dist_held_out']:.4f})" if "nn_dist_held_out" in r else "")
        recon = f"{r['recon_psnr_held_out']:.2f} dB" if "recon_psnr_held_out" in r else "-"
        lines.append(f"| {r['model']} | {r['face_rate']:.0%} | {nn} | {r['diversity']:.4f} | {recon} |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=SHARED / "data/faces/orl_att")
    ap.add_argument("--models", default="dcgan-faces,vae-faces")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args()
    torch.manual_seed(0)
    train, held_out = load_faces(args.faces)
    rows = [real_reference(train, held_out)] + [evaluate(m, train, held_out, args.n) for m in args.models.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "generation.json").write_text(json.dumps({"schema": 1, "faces": str(args.faces), "rows": rows}, indent=1))
    md = markdown(rows)
    (args.out / "generation.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
