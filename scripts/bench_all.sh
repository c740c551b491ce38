#!/usr/bin/env bash
# How benchmarks/results was made: every shipped model exported (export.md: time and Set5
# per precision), ONNX Runtime session variants timed (ort-tuning.md), then one bench run
# over all of them at 640x360 (bench.md/json, speedup/latency/quality PNGs) and the
# README's goals table regenerated from it. Run on a quiet machine (nothing else on the
# cores: the figures are ratios from this one run, but contention moves them).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-runs/exports}
OUT=${OUT:-benchmarks/results}
python benchmarks/studies/export_report.py --work "$WORK" --out "$OUT"
python -m vgx.benchmarks.studies.ort_tuning "$WORK/espcn-x2,$WORK/compact-x2,$WORK/style-wave" --out "$OUT"
models=$(python -c "from vgx.train import zoo; print(','.join('$WORK/' + n for n in zoo.ZOO if zoo.shipped_weights(n)))")
vgx bench "$models" --backends torch,torch-cl,ort-cpu --precisions fp32,fp16,int8 --sizes 360p --seconds 2 --stream \
  --out "$OUT"
python -m vgx.benchmarks.report "$OUT/bench.json" --readme README.md
