"""`vgx models`, `vgx doctor` and `vgx selftest`: what vgx ships and what this machine has and can
run. `models` is torch-free: the zoo table is read from the shipped index (vgx.train.zoo_index)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from .app import app, friendly


def _steps(card: dict[str, Any]) -> str:
    """"8000+2000" for a fine-tune: the steps of its starting weights, then its own."""
    return f"{card['init_steps']}+{card['train_steps']}" if card.get("init_steps") else str(card.get("train_steps", 0))


def _measured(q: dict[str, float]) -> str:
    """The headline figure of a style or generator model, or a -real SR model's on degraded input
    (clean SR has its PSNR columns)."""
    if "set5_mild" in q:
        return (f"Set5 noise+JPEG {q['set5_mild']:.2f}, H.264 {q['set5_h264']:.2f}"
                + (f", flicker <= {q['flicker_max']:.2f}" if "flicker_max" in q else ""))
    if "texture" in q and "flicker_max" in q:
        return f"texture {q['texture']:.2f}, colour {q['colour']:.2f}, flicker <= {q['flicker_max']:.2f}"
    if "flicker_max" in q:
        return f"flicker <= {q['flicker_max']:.2f}"
    if "face_rate" in q:
        parts = [f"faces found {q['face_rate']:.0%}"]
        if "recon_psnr_held_out" in q:
            parts.append(f"recon {q['recon_psnr_held_out']:.1f} dB")
        return ", ".join(parts)
    return "-"


def _fmt(quality: dict[str, float], key: str) -> str:
    return f"{quality[key]:.2f}" if key in quality else "-"


def _human(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k"


def zoo_rows() -> list[dict[str, str]]:
    """One display row per zoo model."""
    from vgx.sr_protocol import PAPER_SET5
    from vgx.train.zoo_index import read_index

    rows = []
    for r in read_index():
        card, q = r["card"], r["card"].get("quality", {})
        rows.append({"name": r["name"], "aliases": ", ".join(r["aliases"]), "task": card["task"],
                     "scale": f"x{card['scale']}", "params": _human(r["params"]), "gmacs": f"{r['gmacs']:.3g}",
                     "shipped": "yes" if r["shipped"] else "no", "set5": _fmt(q, "set5_psnr_y"),
                     "set14": _fmt(q, "set14_psnr_y"),
                     "paper": f"{PAPER_SET5[r['name']]:.2f}" if r["name"] in PAPER_SET5 else "-",
                     "measured": _measured(q), "steps": _steps(card) if r["shipped"] else "not shipped"})
    return rows


def models_markdown() -> str:
    """The zoo as the README's Markdown table (from the shipped cards)."""
    lines = ["| model | params | GMACs @640x360 | Set5 PSNR-Y | Set14 PSNR-Y | paper Set5 | other measured | trained steps |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]
    lines += [f"| {r['name']} | {r['params']} | {r['gmacs']} | {r['set5']} | {r['set14']} | {r['paper']} | "
              f"{r['measured']} | {r['steps']} |" for r in zoo_rows()]
    return "\n".join(lines)


@app.command()
@friendly
def models(markdown: bool = typer.Option(False, "--markdown", help="print the README's Markdown table")) -> None:
    """The model zoo: task, scale, parameters, MACs at 640x360, shipped weights, quality."""
    if markdown:
        typer.echo(models_markdown())
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="vgx model zoo (GMACs per 640x360 input or per generated face; Set5/Set14: PSNR-Y dB)")
    table.add_column("name", no_wrap=True)
    cols = {"task": "task", "scale": "scale", "params": "params", "gmacs": "GMACs", "shipped": "shipped",
            "set5": "Set5", "set14": "Set14", "measured": "other measured"}
    for title in cols.values():
        table.add_column(title, justify="left" if title in ("task", "shipped", "other measured") else "right")
    for r in zoo_rows():
        table.add_row(r["name"] + (f" ({r['aliases']})" if r["aliases"] else ""), *(r[k] for k in cols))
    Console().print(table)


@app.command()
@friendly
def doctor() -> None:
    """Versions of everything vgx can use, and a check for broken package mixes."""
    from vgx.environment import GPU_PATHS_STATUS, check_onnxruntime, report

    for key, value in report().items():
        typer.echo(f"{key:24s} {value}")
    check_onnxruntime()
    typer.echo("ok: no conflicting packages")
    typer.echo(GPU_PATHS_STATUS)


@app.command()
@friendly
def selftest(
    quick: bool = typer.Option(False, "--quick", help="fewer frames and runs (under 3 minutes on a 2-core CPU)"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="also write the report as JSON"),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="zoo names or artifact folders to test instead "
                                        "(comma list; default espcn-x2,style-udnie-slim)"),
) -> None:
    """Export, verify, stream and time a small SR and a slim style model on every backend here."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from vgx.benchmarks.selftest import MODELS, run_selftest, write_json

    names = [m for m in model.split(",") if m] if model else list(MODELS)
    results = run_selftest(quick, names, log=lambda s: typer.echo(s, err=True))
    table = Table(title="vgx selftest")
    for col in ("step", "model", "backend", "precision", "result", "ms", "detail"):
        table.add_column(col, overflow="fold")
    for r in results:
        color = {"pass": "green", "fail": "red", "skipped": "yellow"}[r.status]
        table.add_row(r.step, r.model, r.backend, r.precision, f"[{color}]{r.status}",
                      "" if r.ms is None else f"{r.ms:g}", escape(r.detail))
    Console().print(table)
    if json_out:
        write_json(results, json_out)
        typer.echo(f"wrote {json_out}", err=True)
    failed = [r for r in results if r.status == "fail"]
    if failed:
        typer.echo(f"vgx: selftest: {len(failed)} check(s) failed: "
                   + "; ".join(f"{r.step} {r.model} {r.backend} {r.precision}" for r in failed[:5]), err=True)
        raise typer.Exit(1)
