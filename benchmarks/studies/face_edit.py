"""Face editing evidence: does the VAE keep held-out people, and does 'glasses' add glasses?

    python -m vgx.benchmarks.studies.face_edit [--model vae-faces] [--direction glasses]

- reconstruction PSNR (64x64, the model's crop) on the held-out people s37..s40;
- a judge that was not used to learn the direction: a logistic regression on HOG features of
  the pixels (not the latents), trained on s1..s36's labels, its accuracy checked by
  leave-one-person-out on those people and on the held-out people's photos as they are;
- the judge on edits of held-out faces: the share of faces without glasses judged 'glasses'
  at strength 0 (recon), +1, +2, +3, and of faces with glasses judged so at -1, -2;
- a strip per held-out person (input | recon | -1 | +1 | +2 | +3): benchmarks/results/face_edit.png.
Writes benchmarks/results/face_edit.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vgx.benchmarks.studies import SHARED
from vgx.images import caption, load_rgb, save_rgb, side_by_side
from vgx.metrics import psnr
from vgx.train.edit import HELD_OUT, known_directions, read_labels, split_people
from vgx.train.faces import face_crop
from vgx.train.loading import load_model
from vgx.train.tensors import to_tensor, to_uint8

STRENGTHS = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
STRIP = (0.0, -1.0, 1.0, 2.0, 3.0)  # after the input


def hog_features(faces: np.ndarray) -> np.ndarray:
    from skimage.feature import hog

    return np.stack([hog(f.mean(2), orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2)) for f in faces])


class Judge:
    """Logistic regression (numpy, L2, gradient descent) on standardised HOG features."""

    def __init__(self, x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 2000, lr: float = 0.5) -> None:
        self.mean, self.std = x.mean(0), x.std(0) + 1e-6
        z = (x - self.mean) / self.std
        self.w, self.b = np.zeros(z.shape[1]), 0.0
        for _ in range(steps):
            p = 1 / (1 + np.exp(-(z @ self.w + self.b)))
            self.w -= lr * (z.T @ (p - y) / len(y) + l2 * self.w)
            self.b -= lr * float(np.mean(p - y))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (((x - self.mean) / self.std) @ self.w + self.b) > 0


def load(people: dict[str, list[tuple[Path, int]]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows = [(face_crop(load_rgb(f)), lab, p) for p, v in sorted(people.items()) for f, lab in v]
    return np.stack([r[0] for r in rows]), np.array([r[1] for r in rows]), [r[2] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="vae-faces")
    ap.add_argument("--direction", default="glasses")
    ap.add_argument("--labels", type=Path, default=SHARED / "data/faces/orl_att_glasses.csv")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args()
    train_people, held_people = split_people(read_labels(args.labels))
    x_tr, y_tr, who_tr = load(train_people)
    x_ho, y_ho, who_ho = load(held_people)
    f_tr = hog_features(x_tr)
    loo = []  # leave one person out: is the judge any good on people it has not seen?
    for person in sorted(set(who_tr)):
        keep = np.array([w != person for w in who_tr])
        loo.append(Judge(f_tr[keep], y_tr[keep])(f_tr[~keep]) == y_tr[~keep])
    judge = Judge(f_tr, y_tr)
    vae, card = load_model(args.model)
    d = torch.tensor(known_directions(args.model, None)[args.direction], dtype=torch.float32)
    with torch.no_grad():
        mu, _ = vae.encode(to_tensor(x_ho))
        edits = {s: to_uint8(vae.decode(mu + s * d)).reshape(len(x_ho), 64, 64, 3) for s in STRENGTHS}
    recon = edits[0.0]
    judged = {s: judge(hog_features(e)) for s, e in edits.items()}
    res: dict[str, Any] = {
        "model": card.name, "latent_dim": vae.latent_dim, "held_out": list(HELD_OUT),
        "recon_psnr_held_out": round(float(np.mean([psnr(r, x) for r, x in zip(recon, x_ho)])), 2),
        "judge_leave_one_person_out_accuracy": round(float(np.mean(np.concatenate(loo))), 3),
        "judge_held_out_accuracy": round(float(np.mean(judge(hog_features(x_ho)) == y_ho)), 3),
        "without_glasses_judged_glasses": {f"{s:+g}": round(float(judged[s][y_ho == 0].mean()), 3) for s in STRENGTHS},
        "with_glasses_judged_glasses": {f"{s:+g}": round(float(judged[s][y_ho == 1].mean()), 3) for s in STRENGTHS},
    }
    strips = []
    for person in sorted(set(who_ho)):
        i = who_ho.index(person)
        panels = [x_ho[i]] + [edits[s][i] for s in STRIP]
        strips.append(np.repeat(np.repeat(side_by_side(panels), 2, 0), 2, 1))
    args.out.mkdir(parents=True, exist_ok=True)
    grid = np.concatenate([np.pad(s, ((0, 4), (0, 0), (0, 0)), constant_values=255) for s in strips])
    labels = ["input"] + ["recon" if s == 0 else f"{s:+g}" for s in STRIP]
    save_rgb(args.out / "face_edit.png", caption(grid, labels, [136] * len(labels)))
    (args.out / "face_edit.json").write_text(json.dumps(res, indent=1))
    md = (f"{card.name} (latent {vae.latent_dim}): held-out recon {res['recon_psnr_held_out']} dB PSNR; judge (HOG + "
          f"logistic regression on s1..s36 pixels) leave-one-person-out accuracy {res['judge_leave_one_person_out_accuracy']}, "
          f"on held-out photos {res['judge_held_out_accuracy']}\n\n| strength | "
          + " | ".join("0 (recon)" if s == 0 else f"{s:+g}" for s in STRENGTHS) + " |\n|---|" + "---:|" * len(STRENGTHS) + "\n"
          + "".join(f"| {k} | " + " | ".join(f"{res[key][f'{s:+g}']:.2f}" for s in STRENGTHS) + " |\n"
                    for k, key in (("held-out faces without glasses judged 'glasses'", "without_glasses_judged_glasses"),
                                   ("held-out faces with glasses judged 'glasses'", "with_glasses_judged_glasses"))))
    (args.out / "face_edit.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
