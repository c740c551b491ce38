#!/usr/bin/env bash
# On a lent GPU machine: the GPU checks (gpu_check.py), then train_zoo.sh's
# style-c and slim-c for each style in $STYLES, one process per style on the one GPU, from
# .gpudata (scripts/gpu_data.sh, carried). Training stops after TRAIN_SECONDS wherever it is (the
# runs resume from their last.pt). The runs come back as OUT/runs.tar.partNN (the tool returns
# files of up to 16 MiB): weights, logs and the latest sample grid first, unfinished last.pt after.
# Usage: STYLES="the-scream:the_scream.jpg ..." scripts/gpu_styles.sh OUT [TRAIN_SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
out=$1 budget=${2:-420}
source scripts/gpu_site.sh
export VGX_DATA=.gpudata VGX_RUNS=runs/gpu VGX_LOSSNET=.gpudata/lossnets/vgg19_conv1_1-conv3_4.fp16.pth PYTHONUNBUFFERED=1 \
  CKPT_EVERY=250  # a step takes milliseconds here: a last.pt every 50 would cost more than the steps
rm -rf "$VGX_RUNS"; mkdir -p "$out" "$VGX_RUNS"
timeout 120 scripts/gpu_check.sh "$out/gpu_check.json" >"$out/gpu_check.log" 2>&1 || echo "gpu_check: exit $?"
t0=$SECONDS
for s in ${STYLES:?name the styles: STYLES=\"NAME:PAINTING.jpg ...\"}; do
  STYLES=$s timeout "$budget" bash -c 'scripts/train_zoo.sh style-c && scripts/train_zoo.sh slim-c' &
done
wait
echo "training: $((SECONDS - t0)) s"
for run in "$VGX_RUNS"/*/; do
  [ -f "$run/model.pt" ] && rm -f "$run/last.pt"  # finished: the weights are enough
  [ -f "${run%/}-stab20000/model.pt" ] && rm -f "$run/model.pt"  # its second stage holds its steps
  rm -f "$run"/samples/step_*.png  # samples/latest.png is the last of them
done
(cd "$VGX_RUNS/.." && { find gpu ! -name last.pt -type f; find gpu -name last.pt; } | tar cf - --no-recursion -T -) |
  split -b 15M - "$out/runs.tar.part"
ls -la "$out"
