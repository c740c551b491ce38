"""Is a style model held back by its loss, or by how far training got on it? (issue: styles)

    python -m vgx.benchmarks.studies.style_loss_gap [--models style-udnie,RUN/model.pt,...] [--reference]
        [--style udnie] [--octaves 3] [--stem style_loss_gap]

The training objective itself (train/style.py: VGG-19 content at relu3_1, relative Gram errors
per layer and octave, against the painting at 512 px), evaluated on the held-out photos that
style_quality judges (the style content images and Set14 at 384 px). Not a quality figure
(training fits exactly these numbers): a diagnosis. Where another model's outputs score lower on
both the content and the style term than a trained one's, no choice of weights between the two
terms explains the gap: the trained model has not reached what its net can do on its own loss.
`--reference` adds pytorch/examples' Udnie (../shared/anchors; trained with VGG-16 to relu4_3,
never on these terms). Writes benchmarks/results/STEM.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from vgx.benchmarks.studies import SHARED
from vgx.benchmarks.studies.style_quality import (
    PAINTING_OF,
    PAINTINGS,
    Stylize,
    eval_photos,
    reference_stylizer,
    short_label,
    torch_stylizer,
)


@cache
def objective(style: str, octaves: int) -> tuple[Any, dict[str, Any]]:
    """(the VGG-19 loss network, the painting's Gram targets by term), made once per painting, as training makes them."""
    import torch

    from vgx.train.style import CONTENT_LAYER, STYLE_LAYERS, load_style_image, style_weights
    from vgx.train.style_losses import gram
    from vgx.train.vgg import VGG19Features

    net = VGG19Features(None, (CONTENT_LAYER, *STYLE_LAYERS))
    with torch.no_grad():
        painting = net.features(load_style_image(PAINTINGS / PAINTING_OF[style], 512), octaves)
    return net, {k: gram(painting[k]) for k in style_weights(octaves)}


def loss_terms(stylize: Stylize, photos: list[np.ndarray], style: str, octaves: int) -> dict[str, float]:
    """Mean over the photos of the content term and each Gram term (relative errors, as trained)."""
    import torch

    from vgx.train.style import CONTENT_LAYER
    from vgx.train.style_losses import content_loss, style_loss
    from vgx.train.tensors import to_tensor

    net, targets = objective(style, octaves)
    with torch.no_grad():
        sums: dict[str, float] = {}
        for photo in photos:
            x, y = to_tensor(photo), to_tensor(stylize(photo))
            feats = net.features(y, octaves)
            row = {"content": float(content_loss(feats, net(x), CONTENT_LAYER)),
                   **{k: float(style_loss(feats, targets, {k: 1.0})) for k in targets}}
            for k, v in row.items():
                sums[k] = sums.get(k, 0.0) + v / len(photos)
    return {"style": sum(v for k, v in sums.items() if k != "content"), **sums}


def markdown(rows: list[dict], octaves: int) -> str:
    terms = [k for k in rows[0]["terms"] if k not in ("content", "style")]
    head = "| model | content | style (sum) | " + " | ".join(terms) + " |\n"
    head += "|---|---:|---:|" + "---:|" * len(terms) + "\n"
    body = "".join(f"| {r['model']} | {r['terms']['content']:.3f} | {r['terms']['style']:.3f} | "
                   + " | ".join(f"{r['terms'][k]:.3f}" for k in terms) + " |\n" for r in rows)
    return (f"Training objective on the held-out photos (VGG-19 relu3_1 content, relative Gram errors over "
            f"{octaves} octaves; lower is closer, on each term):\n\n" + head + body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="style-udnie", help="comma list of zoo names or checkpoints")
    ap.add_argument("--reference", action="store_true", help="add pytorch/examples' Udnie (../shared/anchors)")
    ap.add_argument("--style", default="udnie", choices=sorted(PAINTING_OF), help="the painting the terms are against")
    ap.add_argument("--octaves", type=int, default=3)
    ap.add_argument("--photos", default=f"{SHARED}/data/style/content-images,{SHARED}/data/sr/Set14")
    ap.add_argument("--side", type=int, default=384)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--stem", default="style_loss_gap")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    photos, names = eval_photos([Path(p) for p in args.photos.split(",")], args.side)
    jobs: list[tuple[str, Stylize]] = [("the photo itself", lambda rgb: rgb)]
    jobs += [(short_label(m), torch_stylizer(m)[0]) for m in args.models.split(",") if m]
    if args.reference:
        jobs.append(("reference udnie (pytorch/examples)", reference_stylizer()))
    rows = [{"model": label, "terms": {k: round(v, 4) for k, v in loss_terms(f, photos, args.style, args.octaves).items()}}
            for label, f in track(jobs, description="loss terms")]
    args.out.mkdir(parents=True, exist_ok=True)
    doc = {"schema": 1, "style": args.style, "octaves": args.octaves, "photos": names, "side": args.side, "rows": rows}
    (args.out / f"{args.stem}.json").write_text(json.dumps(doc, indent=1))
    md = markdown(rows, args.octaves)
    (args.out / f"{args.stem}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
