"""Latent editing with the VAE: a direction is the mean latent difference between two
example sets (e.g. faces with and without glasses); edits move a face along it.

Directions are kept as JSON (name -> vector) in $VGX_CACHE/directions/MODEL.json, or in
the file `--directions` names.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from vgx.errors import VgxError
from vgx.images import caption, list_images, load_rgb, save_rgb, side_by_side

from .faces import face_crop
from .loading import load_model
from .models.vae import ConvVAE
from .tensors import to_tensor, to_uint8


def directions_file(model: str, given: Path | None) -> Path:
    if given is not None:
        return given
    root = Path(os.environ.get("VGX_CACHE") or Path.home() / ".cache" / "vgx")
    return root / "directions" / f"{Path(model).stem}.json"


def direction(with_latents: np.ndarray, without_latents: np.ndarray) -> np.ndarray:
    """mean(with) - mean(without): the attribute's direction in latent space."""
    return with_latents.mean(axis=0) - without_latents.mean(axis=0)


def _encode(vae: ConvVAE, folder: Path) -> np.ndarray:
    faces = np.stack([face_crop(load_rgb(f)) for f in list_images(folder)])
    x = to_tensor(faces)
    with torch.no_grad():
        mu, _ = vae.encode(x)
    return mu.numpy()


def _vae(model: str) -> ConvVAE:
    net, card = load_model(model)
    if not isinstance(net, ConvVAE):
        raise VgxError(f"{card.name} cannot encode faces; editing needs a VAE (vae-faces or your own)")
    return net


def learn(model: str, name: str, with_dir: Path, without_dir: Path, store: Path | None) -> Path:
    vae = _vae(model)
    d = direction(_encode(vae, with_dir), _encode(vae, without_dir))
    path = directions_file(model, store)
    known = json.loads(path.read_text()) if path.is_file() else {}
    known[name] = d.round(6).tolist()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known))
    return path


def apply(model: str, name: str, strengths: list[float], face: Path | None, seed: int, out: Path,
          store: Path | None) -> Path:
    vae = _vae(model)
    path = directions_file(model, store)
    known = json.loads(path.read_text()) if path.is_file() else {}
    if name not in known:
        names = ", ".join(sorted(known)) or "none yet"
        raise VgxError(f"unknown direction {name!r} (known: {names}); learn it: vgx edit {model} --learn {name} "
                       "--with DIR --without DIR")
    d = torch.tensor(known[name], dtype=torch.float32)
    panels, labels = [], []
    with torch.no_grad():
        if face is not None:
            img = face_crop(load_rgb(face))
            mu, _ = vae.encode(to_tensor(img))
            panels.append(img)
            labels.append("input")
            z = mu[0]
        else:
            z = torch.randn(vae.latent_dim, generator=torch.Generator().manual_seed(seed))
        for s in strengths:
            y = vae.decode((z + s * d)[None])[0]
            panels.append(to_uint8(y))
            labels.append("recon" if s == 0 and face is not None else f"{s:+g}")
    zoomed = [np.repeat(np.repeat(p, 2, 0), 2, 1) for p in panels]
    save_rgb(out, caption(side_by_side(zoomed), labels, [zoomed[0].shape[1]] * len(zoomed)))
    return out
