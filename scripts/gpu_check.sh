#!/usr/bin/env bash
# The one prepared script for a GPU machine that has CUDA, PyTorch and cuda-python but no
# TensorRT and no network (so nothing is installed): makes vgx importable (gpu_site.sh), then
# runs scripts/gpu_check.py. Usage: scripts/gpu_check.sh [OUT.json]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu_site.sh
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python scripts/gpu_check.py | tee "${1:-gpu_check.json}"
