"""Runs OpenCV's dnn_superres models for opencv_sr_peers.py, inside a venv that has
opencv-contrib-python-headless (which must not sit beside opencv-python-headless). Imports
only cv2, numpy and the standard library.

    python opencv_sr_worker.py JOB.json   # {"model": PB, "algo": "espcn", "scale": 2, "inputs": [...],
                                           #  "outputs": [...], "timing_frame": PNG, "runs": 10, "threads": 1}
Prints {"median_ms": ...} for the timing frame (BGR in, BGR out).
"""

import json
import sys
import time

import cv2
import numpy as np

with open(sys.argv[1]) as f:
    job = json.load(f)
cv2.setNumThreads(job["threads"])
sr = cv2.dnn_superres.DnnSuperResImpl_create()
sr.readModel(job["model"])
sr.setModel(job["algo"], job["scale"])
for src, dst in zip(job["inputs"], job["outputs"]):
    cv2.imwrite(dst, sr.upsample(cv2.imread(src)))
frame = cv2.imread(job["timing_frame"])
sr.upsample(frame)
times = []
for _ in range(job["runs"]):
    t = time.perf_counter()
    sr.upsample(frame)
    times.append((time.perf_counter() - t) * 1e3)
print(json.dumps({"median_ms": float(np.median(times))}))
