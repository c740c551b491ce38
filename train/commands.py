"""What `vgx eval`, `vgx models` and `vgx upscale` do (the CLI only parses arguments)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from vgx.card import ModelCard
from vgx.errors import VgxError
from vgx.images import bicubic_resize, demo_images, load_rgb, save_rgb, side_by_side

from . import checkpoint, zoo
from .evaluate import evaluate, upscale
from .loading import load_model

console = Console()


def evaluate_command(model_name: str, data: Path, json_out: Path | None, precision: str | None = None) -> None:
    """A zoo name or checkpoint (PyTorch), or an artifact folder (ONNX Runtime, --precision)."""
    if (Path(model_name) / "manifest.json").is_file():
        report, card = _evaluate_artifact(Path(model_name), precision or "fp32", data)
    else:
        if precision:
            raise VgxError("--precision applies to an artifact folder (vgx export); this is a PyTorch model")
        model, card = load_model(model_name)
        if card.task != "sr":
            raise VgxError(f"{card.name} is a {card.task} model; vgx eval measures SR models")
        report = evaluate(model, card.name, card.scale, data)
    table = Table(title=f"{report.model} on {data} (x{card.scale}, PSNR-Y / SSIM-Y, shave {card.scale})")
    for col in ("image", "PSNR-Y", "SSIM", "bicubic PSNR-Y", "bicubic SSIM"):
        table.add_column(col, justify="left" if col == "image" else "right")
    for i in report.images:
        table.add_row(i.name, f"{i.psnr_y:.2f}", f"{i.ssim:.4f}", f"{i.bicubic_psnr_y:.2f}", f"{i.bicubic_ssim:.4f}")
    m = report.mean
    table.add_row("[bold]mean", f"[bold]{m['psnr_y']:.2f}", f"{m['ssim']:.4f}",
                  f"{m['bicubic_psnr_y']:.2f}", f"{m['bicubic_ssim']:.4f}")
    console.print(table)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report.to_dict(), indent=2))
        console.print(f"wrote {json_out}")


def _evaluate_artifact(folder: Path, precision: str, data: Path):
    from vgx import manifest as mf
    from vgx.runtime.ort_runner import ORTRunner
    from vgx.runtime.runner import image_upscaler
    from vgx.sr_protocol import evaluate as evaluate_upscaler

    manifest = mf.read(folder)
    card = ModelCard.from_dict(manifest["card"])
    if precision not in manifest["precisions"]:
        raise VgxError(f"{folder} has no {precision} model (has {', '.join(manifest['precisions'])})")
    path = mf.verified_path(folder, manifest, manifest["precisions"][precision]["file"])
    with ORTRunner(path) as runner:
        report = evaluate_upscaler(image_upscaler(runner), f"{card.name} {precision} (ONNX Runtime CPU)", card.scale, data)
    return report, card


def count_macs(model: torch.nn.Module, width: int = 640, height: int = 360, latent_dim: int | None = None) -> int:
    """Multiply-accumulates for one RGB frame (or one latent, for generators), counted on the
    meta device (no compute)."""
    from torch.utils.flop_counter import FlopCounterMode

    meta = model.to("meta")
    x = torch.empty(1, latent_dim, device="meta") if latent_dim else torch.empty(1, 3, height, width, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        meta(x)
    return counter.get_total_flops() // 2


PAPER_SET5 = {"espcn-x3": 33.00, "espcn-x4": 30.90, "fsrcnn-x2": 37.00, "fsrcnn-x3": 33.16, "fsrcnn-x4": 30.71,
              "srresnet-x4": 32.05, "srgan-x4": 29.40}


def _zoo_rows() -> list[dict[str, str]]:
    """One row per zoo model, from the shipped card where there is one (else the zoo's)."""
    rows = []
    for name, entry in zoo.ZOO.items():
        path = zoo.shipped_weights(name)
        card = checkpoint.card_of(checkpoint.load(path)) if path else entry.card()
        model = zoo.build(card)
        q = card.quality
        aliases = [a for a, t in zoo.ALIASES.items() if t == name]
        rows.append({"name": name, "aliases": ", ".join(aliases), "task": card.task, "scale": f"x{card.scale}",
                     "params": _human(sum(p.numel() for p in model.parameters())),
                     "gmacs": f"{_gmacs(model, card):.3g}", "shipped": "yes" if path else "no",
                     "set5": _fmt(q, "set5_psnr_y"), "set14": _fmt(q, "set14_psnr_y"),
                     "paper": f"{PAPER_SET5[name]:.2f}" if name in PAPER_SET5 else "-",
                     "measured": _measured(q), "steps": _steps(card) if path else "not shipped"})
    return rows


def _steps(card: ModelCard) -> str:
    """"8000+2000" for a fine-tune: the steps of its starting weights, then its own."""
    return f"{card.init_steps}+{card.train_steps}" if card.init_steps else str(card.train_steps)


def _measured(q: dict[str, float]) -> str:
    """The headline figure of a style or generator model (SR has its PSNR columns)."""
    if "flicker_max" in q:
        return f"flicker <= {q['flicker_max']:.2f}"
    if "face_rate" in q:
        parts = [f"faces found {q['face_rate']:.0%}"]
        if "recon_psnr_held_out" in q:
            parts.append(f"recon {q['recon_psnr_held_out']:.1f} dB")
        return ", ".join(parts)
    return "-"


def models_markdown() -> str:
    """The zoo as the README's Markdown table (from the shipped cards)."""
    lines = ["| model | params | GMACs @640x360 | Set5 PSNR-Y | Set14 PSNR-Y | paper Set5 | other measured | trained steps |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]
    lines += [f"| {r['name']} | {r['params']} | {r['gmacs']} | {r['set5']} | {r['set14']} | {r['paper']} | "
              f"{r['measured']} | {r['steps']} |" for r in _zoo_rows()]
    return "\n".join(lines)


def models_command(markdown: bool = False) -> None:
    if markdown:
        print(models_markdown())
        return
    table = Table(title="vgx model zoo (GMACs per 640x360 input or per generated face; Set5/Set14: PSNR-Y dB)")
    table.add_column("name", no_wrap=True)
    cols = {"task": "task", "scale": "scale", "params": "params", "gmacs": "GMACs", "shipped": "shipped",
            "set5": "Set5", "set14": "Set14", "measured": "other measured"}
    for title in cols.values():
        table.add_column(title, justify="left" if title in ("task", "shipped", "other measured") else "right")
    for r in _zoo_rows():
        table.add_row(r["name"] + (f" ({r['aliases']})" if r["aliases"] else ""), *(r[k] for k in cols))
    console.print(table)


def _gmacs(model: torch.nn.Module, card) -> float:
    """GMACs per 640x360 frame, or per generated sample."""
    latent = card.arch_kwargs.get("latent_dim") if card.task == "generate" else None
    return count_macs(model, latent_dim=latent) / 1e9


def _fmt(quality: dict[str, float], key: str) -> str:
    return f"{quality[key]:.2f}" if key in quality else "-"


def _human(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k"


def upscale_command(inputs: list[Path], model_name: str, out: Path) -> None:
    """Each input -> NAME_sr.png and NAME_compare.png (bicubic | model, same size)."""
    model, card = load_model(model_name)
    if card.task != "sr":
        raise VgxError(f"{card.name} is a {card.task} model; vgx upscale needs a SR model")
    images = {p.stem: load_rgb(p) for p in inputs} if inputs else demo_images()
    for stem, lr in images.items():
        sr = upscale(model, lr)
        bic = bicubic_resize(lr, (sr.shape[1], sr.shape[0]))
        save_rgb(out / f"{stem}_sr.png", sr)
        save_rgb(out / f"{stem}_compare.png", side_by_side([bic, sr]))
        console.print(f"{stem}: {lr.shape[1]}x{lr.shape[0]} -> {sr.shape[1]}x{sr.shape[0]}  "
                      f"[dim]{out / (stem + '_compare.png')} (left bicubic, right {card.name})")
