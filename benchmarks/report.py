"""Bench results as JSON (versioned schema), a Markdown table and PNG plots.

The README's performance table is generated from a committed bench JSON:
    python -m vgx.benchmarks.report benchmarks/results/bench.json --readme README.md
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

SCHEMA = 1
REQUIRED_RESULT_KEYS = ("model", "backend", "precision", "size", "status", "reason", "latency_ms", "fps", "gflops",
                        "psnr_vs_fp32")


def validate(doc: dict[str, Any]) -> None:
    """Raise ValueError unless `doc` follows the bench schema (tests and consumers use it)."""
    if doc.get("schema") != SCHEMA or not isinstance(doc.get("machine"), dict) or not isinstance(doc.get("results"), list):
        raise ValueError("bench JSON needs schema, machine and results")
    for r in doc["results"]:
        missing = [k for k in REQUIRED_RESULT_KEYS if k not in r]
        if missing:
            raise ValueError(f"result lacks {missing}")
        if r["status"] not in ("ok", "skipped", "failed"):
            raise ValueError(f"bad status {r['status']!r}")
        if r["status"] == "ok" and set(r["latency_ms"]) < {"min", "mean", "p50", "p90", "p99"}:
            raise ValueError("ok result without latency percentiles")


def _stream_cells(r: dict[str, Any]) -> str:
    if "stream_fps" not in r:
        return " - | - |"
    return f" {r['stream_fps']:.2f} | {r['prepost_ms']:.2f} |"


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    streamed = any("stream_fps" in r for r in doc["results"])
    lines = [f"Machine: {m.get('cpu', '?')}; GPU: {m.get('gpu', 'none')}; "
             f"peak {m.get('peak_gflops', '?')} GFLOP/s ({m.get('peak_note', '')}); numpy SGEMM sustains "
             f"{m.get('sgemm_gflops', '?')} GFLOP/s. "
             f"Versions: " + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()), "", *_prepost_line(doc),
             "| model | backend | precision | size | p50 ms | p90 ms | p99 ms | FPS | GFLOP/s | % peak | PSNR vs fp32 "
             "| Set5 PSNR-Y | speed-up |" + (" stream FPS | pre+post ms |" if streamed else ""),
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if streamed else "")]
    for r in doc["results"]:
        if r["status"] != "ok":
            continue
        lat = r["latency_ms"]
        pct = f"{100 * r['peak_fraction']:.0f}%" if r.get("peak_fraction") else "-"
        psnr = "-" if r["psnr_vs_fp32"] is None else ("ref" if r["psnr_vs_fp32"] >= 999 else f"{r['psnr_vs_fp32']:.1f}")
        set5 = f"{r['set5_psnr_y']:.2f}" if r.get("set5_psnr_y") else "-"
        speed = f"{r['speedup_vs_torch']:.2f}x" if r.get("speedup_vs_torch") else "-"
        lines.append(f"| {r['model']} | {r['backend']} | {r['precision']} | {r['size'][0]}x{r['size'][1]} | "
                     f"{lat['p50']:.1f} | {lat['p90']:.1f} | {lat['p99']:.1f} | {r['fps']:.2f} | {r['gflops']:.1f} | "
                     f"{pct} | {psnr} | {set5} | {speed} |" + (_stream_cells(r) if streamed else ""))
    if len({r["model"] for r in doc["results"]}) > 1:
        lines += ["", *goals_table(doc)]
    skipped = sorted({(r["backend"], r["precision"], r["reason"]) for r in doc["results"] if r["status"] != "ok"})
    if skipped:
        lines += ["", "Not measured here:"]
        lines += [f"- {b} {p}: {why}" for b, p, why in skipped]
    return "\n".join(lines) + "\n"


def _prepost_line(doc: dict[str, Any]) -> list[str]:
    p = doc.get("prepost_720p")
    if not p:
        return []
    w, h = p["size"]
    return [f"Frame conversion per {w}x{h} frame in + out: host (numpy/OpenCV) {p['host_ms']['total']:.2f} ms; "
            f"the frame-I/O twin's sub-graphs on ORT CPU {p['in_graph_ms']['total']:.2f} ms"
            + (f"; `vgx stream --smooth` {p['smoothing_ms']:.2f} ms" if "smoothing_ms" in p else "")
            + " (benchmarks/prepost_cost.py).", ""]


def summary(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per model: the PyTorch baseline (faster layout), the best runtime configuration, and
    the ratios the goals are stated in."""
    rows = []
    for model in dict.fromkeys(r["model"] for r in doc["results"]):
        ok = [r for r in doc["results"] if r["model"] == model and r["status"] == "ok"]
        torch = [r for r in ok if r["backend"] in ("torch", "torch-cl")]
        runtime = [r for r in ok if r not in torch]
        if not torch or not runtime:
            continue
        base = min(torch, key=lambda r: r["latency_ms"]["p50"])
        best = min(runtime, key=lambda r: r["latency_ms"]["p50"])
        by_precision = {r["precision"]: r for r in runtime if r["backend"] == best["backend"]}
        fp32, int8 = by_precision.get("fp32"), by_precision.get("int8")
        rows.append({"model": model, "gmacs": best.get("gmacs"), "torch": base, "best": best,
                     "speedup": base["latency_ms"]["p50"] / best["latency_ms"]["p50"],
                     "fp32_peak": fp32.get("peak_fraction") if fp32 else None,
                     "int8_speedup": fp32["latency_ms"]["p50"] / int8["latency_ms"]["p50"] if fp32 and int8 else None})
    return rows


def goals_table(doc: dict[str, Any]) -> list[str]:
    lines = ["| model | GMACs | PyTorch p50 ms (layout) | best runtime p50 ms | best is | speed-up | fp32 % peak "
             "| int8 / fp32 speed |", "|---|---:|---:|---:|---|---:|---:|---:|"]
    for s in summary(doc):
        t, b = s["torch"], s["best"]
        peak = f"{100 * s['fp32_peak']:.0f}%" if s["fp32_peak"] else "-"
        int8 = f"{s['int8_speedup']:.2f}x" if s["int8_speedup"] else "-"
        lines.append(f"| {s['model']} | {s['gmacs']:.3g} | {t['latency_ms']['p50']:.1f} ({t['backend']}) | "
                     f"{b['latency_ms']['p50']:.1f} | {b['backend']} {b['precision']} | {s['speedup']:.2f}x | {peak} | {int8} |")
    return lines


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary_plot(doc: dict[str, Any], out: Path) -> Path | None:
    """One picture for a many-model run: speed-up of the best runtime over PyTorch per model."""
    import matplotlib.pyplot as plt

    rows = summary(doc)
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.2))
    y = range(len(rows))
    ax.barh(list(y), [r["speedup"] for r in rows], color=["tab:green" if r["speedup"] >= 2.5 else "tab:orange" for r in rows])
    ax.axvline(1.0, color="grey", lw=1)
    ax.axvline(2.5, color="tab:green", ls="--", lw=1, label="goal 2.5x")
    ax.set_yticks(list(y), [f"{r['model']} ({r['best']['backend']} {r['best']['precision']})" for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("speed-up of the best runtime configuration over PyTorch eager (faster layout), p50")
    ax.legend(fontsize=7)
    return _save(fig, out / "speedup.png")


def latency_plot(ok: list[dict[str, Any]], out: Path) -> Path | None:
    """p50 latency of every model by backend x precision (log scale: models span 1000x)."""
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in ok))
    configs = list(dict.fromkeys((r["backend"], r["precision"]) for r in ok))
    if not models or not configs:
        return None
    fig, ax = plt.subplots(figsize=(max(8, 0.55 * len(models) + 2), 4.5))
    width = 0.8 / len(configs)
    for i, (backend, precision) in enumerate(configs):
        xs, ys = [], []
        for j, m in enumerate(models):
            r = next((r for r in ok if r["model"] == m and (r["backend"], r["precision"]) == (backend, precision)), None)
            if r:
                xs.append(j + (i - (len(configs) - 1) / 2) * width)
                ys.append(r["latency_ms"]["p50"])
        ax.bar(xs, ys, width, label=f"{backend} {precision}")
    ax.set_yscale("log")
    ax.set_xticks(range(len(models)), models, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("p50 latency ms (log)")
    size = ok[0]["size"]
    ax.set_title(f"latency per frame, {size[0]}x{size[1]} input, by backend x precision")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, out / "latency.png")


def quality_plot(ok: list[dict[str, Any]], out: Path) -> Path | None:
    """SR speed vs quality: Set5 PSNR-Y against frames per second, a point per configuration."""
    import matplotlib.pyplot as plt

    sr = [r for r in ok if r.get("set5_psnr_y")]
    if not sr:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    for m in dict.fromkeys(r["model"] for r in sr):
        rows = sorted((r for r in sr if r["model"] == m), key=lambda r: r["fps"])
        ax.plot([r["fps"] for r in rows], [r["set5_psnr_y"] for r in rows], "o-", ms=4, lw=0.8, label=m)
        best = rows[-1]
        ax.annotate(f"{best['backend']} {best['precision']}", (best["fps"], best["set5_psnr_y"]), fontsize=6)
    ax.set_xscale("log")
    ax.set_xlabel("frames per second (log)")
    ax.set_ylabel("Set5 PSNR-Y dB")
    ax.set_title("super-resolution: speed vs quality per configuration")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, out / "quality.png")


def plots(doc: dict[str, Any], out: Path) -> list[Path]:
    """latency by backend x precision, and speed vs quality; skipped without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    ok = [r for r in doc["results"] if r["status"] == "ok"]
    if len({r["model"] for r in ok}) > 3:  # many models: summary pictures, not one each
        return [p for p in (summary_plot(doc, out), latency_plot(ok, out), quality_plot(ok, out)) if p]
    written = []
    for model in sorted({r["model"] for r in ok}):
        rows = [r for r in ok if r["model"] == model]
        labels = [f"{r['backend']}\n{r['precision']}\n{r['size'][0]}x{r['size'][1]}" for r in rows]
        fig, ax = plt.subplots(1, 2, figsize=(max(8, 1.1 * len(rows) + 4), 4.2))
        ax[0].bar(range(len(rows)), [r["latency_ms"]["p50"] for r in rows],
                  yerr=[[0] * len(rows), [r["latency_ms"]["p99"] - r["latency_ms"]["p50"] for r in rows]], capsize=3)
        ax[0].set_xticks(range(len(rows)), labels, fontsize=7)
        ax[0].set_ylabel("latency ms (p50, bar to p99)")
        ax[0].set_title(f"{model}: latency")
        for r in rows:
            q = r.get("set5_psnr_y") or r.get("psnr_vs_fp32")
            if q:
                ax[1].scatter(r["fps"], min(q, 100), label=f"{r['backend']} {r['precision']}")
        ax[1].set_xlabel("frames per second")
        ax[1].set_ylabel("Set5 PSNR-Y (or PSNR vs fp32) dB")
        ax[1].set_title("speed vs quality")
        if ax[1].collections:
            ax[1].legend(fontsize=7)
        written.append(_save(fig, out / f"{model}.png"))
    return written


def write(doc: dict[str, Any], out: Path, stem: str = "bench") -> list[Path]:
    validate(doc)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.json", out / f"{stem}.md"]
    paths[0].write_text(json.dumps(doc, indent=2))
    paths[1].write_text(markdown(doc))
    return paths + plots(doc, out)


README_MARKERS = ("<!-- bench-goals -->", "<!-- /bench-goals -->")


def update_readme(doc: dict[str, Any], readme: Path) -> None:
    """Replace the README's block between README_MARKERS with this run's goals table."""
    start, end = (re.escape(m) for m in README_MARKERS)
    block = "\n".join([README_MARKERS[0], *goals_table(doc), README_MARKERS[1]])
    text, found = re.subn(f"{start}.*?{end}", lambda _: block, readme.read_text(encoding="utf-8"), count=1, flags=re.S)
    if not found:
        raise ValueError(f"{readme} has no {README_MARKERS[0]} ... {README_MARKERS[1]} block")
    readme.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Rewrite a bench run's Markdown and the README's goals table from its JSON")
    ap.add_argument("json", type=Path)
    ap.add_argument("--readme", type=Path, help="README whose bench-goals block to replace")
    args = ap.parse_args(argv)
    doc = json.loads(args.json.read_text(encoding="utf-8"))
    validate(doc)
    args.json.with_suffix(".md").write_text(markdown(doc))
    if args.readme:
        update_readme(doc, args.readme)


if __name__ == "__main__":
    main()
