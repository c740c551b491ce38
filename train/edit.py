"""Latent editing with the VAE: a direction is a latent difference that carries one attribute
(e.g. glasses); an edit moves a face's latent along it and decodes.

Directions come from two folders (`--with`, `--without`: mean difference), or from a labels
CSV (`image,label` rows, ORL-style `sN/` person folders): people who appear both with and
without the attribute give same-person differences, which cancel identity and isolate the
attribute; their mean is the direction (all labelled faces' mean difference only when no
person has both). Held-out people are never encoded to learn it.

Shipped directions sit beside the shipped weights (`train/weights/NAME.directions.json`);
user-learnt ones in $VGX_CACHE/directions/NAME.json (or `--directions FILE`), which win.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from vgx.atomic import atomic_path
from vgx.errors import VgxError
from vgx.images import caption, list_images, load_rgb, save_rgb, side_by_side

from .faces import face_crop
from .loading import load_model
from .models.vae import ConvVAE
from .tensors import to_tensor, to_uint8

HELD_OUT = ("s37", "s38", "s39", "s40")  # ORL people kept out of training and of directions


def directions_file(model: str, given: Path | None) -> Path:
    if given is not None:
        return given
    root = Path(os.environ.get("VGX_CACHE") or Path.home() / ".cache" / "vgx")
    return root / "directions" / f"{Path(model).stem}.json"


def shipped_directions(model: str) -> dict[str, list[float]]:
    from . import zoo

    try:
        weights = zoo.shipped_weights(model)
    except VgxError:
        return {}
    path = weights.with_suffix(".directions.json") if weights else None
    return json.loads(path.read_text()) if path and path.is_file() else {}


def known_directions(model: str, store: Path | None) -> dict[str, list[float]]:
    path = directions_file(model, store)
    return {**shipped_directions(model), **(json.loads(path.read_text()) if path.is_file() else {})}


def direction(with_latents: np.ndarray, without_latents: np.ndarray) -> np.ndarray:
    """mean(with) - mean(without): the attribute's direction in latent space."""
    return with_latents.mean(axis=0) - without_latents.mean(axis=0)


def read_labels(path: Path, root: Path | None = None) -> dict[str, list[tuple[Path, int]]]:
    """person -> [(image path, 0/1)], from `image,LABEL` rows; paths relative to the CSV's folder."""
    if not path.is_file():
        raise VgxError(f"labels file not found: {path}")
    base = root or path.parent
    people: dict[str, list[tuple[Path, int]]] = defaultdict(list)
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2 or len(rows[0]) != 2:
        raise VgxError(f"{path}: expected a header and `image,label` rows")
    for i, row in enumerate(rows[1:], 2):
        if len(row) != 2 or row[1].strip() not in ("0", "1"):
            raise VgxError(f"{path}:{i}: expected `image,0` or `image,1`, got {','.join(row)!r}")
        image = Path(row[0].strip())
        person = image.parent.name or image.stem
        people[person].append((base / image, int(row[1])))
    return dict(people)


def split_people(people: dict[str, list[tuple[Path, int]]], held_out: tuple[str, ...] = HELD_OUT
                 ) -> tuple[dict[str, list[tuple[Path, int]]], dict[str, list[tuple[Path, int]]]]:
    """(training people, held-out people)."""
    return ({p: v for p, v in people.items() if p not in held_out}, {p: v for p, v in people.items() if p in held_out})


def encode_faces(vae: ConvVAE, files: list[Path]) -> np.ndarray:
    x = to_tensor(np.stack([face_crop(load_rgb(f)) for f in files]))
    with torch.no_grad():
        mu, _ = vae.encode(x)
    return mu.numpy()


def direction_from_labels(vae: ConvVAE, people: dict[str, list[tuple[Path, int]]]) -> tuple[np.ndarray, dict[str, int]]:
    """Same-person differences first (identity cancels); the pooled difference only as a fallback."""
    pairs = [p for p, rows in people.items() if {lab for _, lab in rows} == {0, 1}]
    if pairs:
        diffs = []
        for p in pairs:
            z = encode_faces(vae, [f for f, _ in people[p]])
            labels = np.array([lab for _, lab in people[p]])
            diffs.append(direction(z[labels == 1], z[labels == 0]))
        return np.mean(diffs, axis=0), {"people_with_both": len(pairs), "images": sum(len(people[p]) for p in pairs)}
    rows = [r for v in people.values() for r in v]
    labels = np.array([lab for _, lab in rows])
    if labels.min() == labels.max():
        raise VgxError("the labels hold only one class: a direction needs faces with and without the attribute")
    z = encode_faces(vae, [f for f, _ in rows])
    return direction(z[labels == 1], z[labels == 0]), {"people_with_both": 0, "images": len(rows)}


def _vae(model: str) -> ConvVAE:
    net, card = load_model(model)
    if not isinstance(net, ConvVAE):
        raise VgxError(f"{card.name} cannot encode faces; editing needs a VAE (vae-faces or your own)")
    return net


def save_direction(path: Path, name: str, d: np.ndarray) -> Path:
    known = json.loads(path.read_text()) if path.is_file() else {}
    known[name] = d.round(6).tolist()
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(known))
    return path


def learn(model: str, name: str, with_dir: Path, without_dir: Path, store: Path | None) -> Path:
    vae = _vae(model)
    d = direction(encode_faces(vae, list_images(with_dir)), encode_faces(vae, list_images(without_dir)))
    return save_direction(directions_file(model, store), name, d)


def learn_from_labels(model: str, name: str, labels: Path, store: Path | None) -> tuple[Path, dict[str, int]]:
    train_people, _ = split_people(read_labels(labels))
    d, used = direction_from_labels(_vae(model), train_people)
    return save_direction(directions_file(model, store), name, d), used


def apply(model: str, name: str, strengths: list[float], face: Path | None, seed: int, out: Path,
          store: Path | None) -> Path:
    """A strip PNG (`out` ends in .png) or a folder: recon.png for 0, +1.png, -1.png, ..."""
    vae = _vae(model)
    known = known_directions(model, store)
    if name not in known:
        names = ", ".join(sorted(known)) or "none yet"
        raise VgxError(f"unknown direction {name!r} (known: {names}); learn it: vgx edit {model} --learn {name} "
                       "--labels CSV (or --with DIR --without DIR)")
    d = torch.tensor(known[name], dtype=torch.float32)
    if d.numel() != vae.latent_dim:
        raise VgxError(f"direction {name!r} has {d.numel()} dims and {model} has {vae.latent_dim}: learn it again for this model")
    panels, labels = [], []
    with torch.no_grad():
        if face is not None:
            img = face_crop(load_rgb(face))
            mu, _ = vae.encode(to_tensor(img))
            panels.append(img)
            labels.append("input")
            z = mu[0]
        else:
            z = vae.prior_latent(torch.randn(1, vae.latent_dim, generator=torch.Generator().manual_seed(seed)))[0]
        for s in strengths:
            panels.append(to_uint8(vae.decode((z + s * d)[None])[0]))
            labels.append("recon" if s == 0 else f"{s:+g}")
    if out.suffix.lower() != ".png":  # a folder: one PNG per strength
        for label, panel in zip(labels, panels):
            if label != "input":
                save_rgb(out / f"{label}.png", panel)
        return out
    zoomed = [np.repeat(np.repeat(p, 2, 0), 2, 1) for p in panels]
    save_rgb(out, caption(side_by_side(zoomed), labels, [zoomed[0].shape[1]] * len(zoomed)))
    return out
