#!/usr/bin/env python
"""Export every shipped model to fp32 / fp16 / int8 and report export time and Set5
quality per precision (the figures issue 3 asks for). Writes benchmarks/results/export.md.

    python benchmarks/studies/export_report.py [--models espcn-x2,...] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from vgx import manifest as mf
from vgx.benchmarks.studies import SHARED
from vgx.export.artifact import ExportOptions, export_artifact
from vgx.export.int8 import Int8Config
from vgx.runtime.ort_runner import ORTRunner
from vgx.runtime.runner import image_upscaler
from vgx.sr_protocol import evaluate
from vgx.train import zoo
from vgx.train.loading import load_model

SET5 = SHARED / "data" / "sr" / "Set5"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--work", type=Path, default=Path("runs/exports"))
    args = ap.parse_args()
    names = args.models.split(",") if args.models else [n for n in zoo.ZOO if zoo.shipped_weights(n)]
    rows, records = [], {}
    for name in names:
        model, card = load_model(name)
        t = time.perf_counter()
        folder = export_artifact(model, card, ExportOptions(args.work / name, fp16=True, int8=Int8Config(), source=name),
                                 log=lambda s: None)
        total = time.perf_counter() - t
        manifest = mf.read(folder)
        rec = {"export_s_total": round(total, 1)}
        for p, info in manifest["precisions"].items():
            rec[f"{p}_s"] = info["seconds"]
            rec[f"{p}_psnr_vs_fp32"] = info["verification"]["psnr"]
            if card.task == "sr" and SET5.is_dir():
                with ORTRunner(mf.verified_path(folder, manifest, info["file"])) as runner:
                    rec[f"{p}_set5"] = round(evaluate(image_upscaler(runner), p, card.scale, SET5).mean["psnr_y"], 3)
        q = manifest["precisions"]["int8"]["quantization"]
        rec["int8_float_nodes"] = len(q["float_nodes"])
        rec["int8_within_budget"] = q["within_budget"]
        records[name] = rec
        rows.append(f"| {name} | {rec['fp32_s']} | {rec['fp16_s']} | {rec['int8_s']} | {rec['export_s_total']} | "
                    f"{rec['fp16_psnr_vs_fp32']} | {rec['int8_psnr_vs_fp32']} | "
                    f"{rec.get('fp32_set5', '-')} | {rec.get('fp16_set5', '-')} | {rec.get('int8_set5', '-')} | "
                    f"{rec['int8_float_nodes']} | {'yes' if rec['int8_within_budget'] else 'no'} |")
        print(rows[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    head = ["| model | fp32 s | fp16 s | int8 s | total s | fp16 vs fp32 dB | int8 vs fp32 dB | Set5 fp32 | Set5 fp16 "
            "| Set5 int8 | int8 nodes in float | int8 within budget |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    (args.out / "export.md").write_text("\n".join(head + rows) + "\n")
    (args.out / "export.json").write_text(json.dumps(records, indent=2))
    print(f"wrote {args.out / 'export.md'}")


if __name__ == "__main__":
    main()
