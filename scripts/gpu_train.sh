#!/usr/bin/env bash
# On a lent GPU machine: train_zoo.sh streams, each JOB (a shell command line) in its own process on
# the one GPU, from .gpudata (scripts/gpu_data.sh, carried); with GPU_CHECK=1 the GPU checks
# (gpu_check.py) first. Training stops after SECONDS wherever it is (the runs resume from their
# last.pt). The runs come back as OUT/runs.tar.partNN (the tool returns files of up to 16 MiB):
# weights, logs and the latest sample grid first, unfinished last.pt after.
# Usage: scripts/gpu_train.sh OUT SECONDS JOB [JOB ...], e.g. the styles of the first H200 run:
#   GPU_CHECK=1 scripts/gpu_train.sh $OUT 360 'STYLES=the-scream:the_scream.jpg scripts/train_zoo.sh style-c &&
#     STYLES=the-scream:the_scream.jpg scripts/train_zoo.sh slim-c' ...  (one job per style)
set -uo pipefail
cd "$(dirname "$0")/.."
out=$1 budget=$2
shift 2
source scripts/gpu_site.sh
export VGX_DATA=.gpudata VGX_RUNS=runs/gpu VGX_LOSSNET=.gpudata/lossnets/vgg19_conv1_1-conv3_4.fp16.pth PYTHONUNBUFFERED=1 \
  CKPT_EVERY=250  # a step takes milliseconds here: a last.pt every 50 would cost more than the steps
mkdir -p "$out" "$VGX_RUNS"  # a warm machine keeps its runs: finished ones are skipped, cut ones resume
if [ "${GPU_CHECK:-0}" = 1 ]; then
  timeout 120 scripts/gpu_check.sh "$out/gpu_check.json" >"$out/gpu_check.log" 2>&1 || echo "gpu_check: exit $?"
fi
t0=$SECONDS
for job in "$@"; do
  timeout "$budget" bash -c "$job" &
done
wait
echo "training: $((SECONDS - t0)) s"
for run in "$VGX_RUNS"/*/; do
  [ -f "$run/model.pt" ] && rm -f "$run/last.pt"  # finished: the weights are enough
  rm -f "$run"/samples/step_*.png  # samples/latest.png is the last of them
done
(cd "$VGX_RUNS/.." && { find gpu ! -name last.pt -type f; find gpu -name last.pt; } | tar cf - --no-recursion -T -) |
  split -b 15M - "$out/runs.tar.part"
ls -la "$out"
