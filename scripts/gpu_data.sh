#!/usr/bin/env bash
# Here, before a style run on a lent GPU machine: what scripts/gpu_train.sh trains on, in the
# ignored folder .gpudata (carry it: the tool sends the repo and nothing beside it, 64 MiB in all).
# The 291 BSD200 + T91 images go as JPEG quality 90 (12 MiB; as PNG they are 66 MiB), with the
# VGG-19 loss network, the zoo's paintings and the validation photos as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${VGX_DATA:-../shared/data}
rm -rf .gpudata && mkdir -p .gpudata/sr/train .gpudata/style
cp -r "$src/lossnets" .gpudata/lossnets
cp -r "$src/style/content-images" .gpudata/style/
mkdir .gpudata/style/style-images
for p in udnie wave starry_night the_scream composition_vii shipwreck; do cp "$src/style/style-images/$p.jpg" .gpudata/style/style-images/; done
python - "$src/sr/train" .gpudata/sr/train <<'PY'
import sys
from pathlib import Path

import cv2

src, dst = map(Path, sys.argv[1:])
for folder in ("BSD200", "T91"):
    (dst / folder).mkdir(parents=True)
    for f in sorted((src / folder).iterdir()):
        img = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if img is not None:
            cv2.imwrite(str(dst / folder / (f.stem + ".jpg")), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
PY
du -sh .gpudata
