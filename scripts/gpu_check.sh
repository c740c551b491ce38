#!/usr/bin/env bash
# The one prepared script for a GPU machine that has CUDA, PyTorch and cuda-python but no
# TensorRT and no network (so nothing is installed): it lays vgx's folders out as the package
# they install as, then runs scripts/gpu_check.py. Usage: scripts/gpu_check.sh [OUT.json]
set -euo pipefail
cd "$(dirname "$0")/.."
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
cp -r vgx "$site/vgx"
for stage in train export runtime benchmarks; do ln -s "$PWD/$stage" "$site/vgx/$stage"; done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
PYTHONPATH="$site" python scripts/gpu_check.py | tee "${1:-gpu_check.json}"
