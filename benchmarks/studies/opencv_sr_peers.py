"""vgx beside OpenCV's dnn_superres (ESPCN, FSRCNN, FSRCNN-small), in one run, on one machine.

    python -m vgx.benchmarks.studies.opencv_sr_peers [--contrib-python .venv-contrib/bin/python]
        [--threads 1] [--runs 10]

OpenCV's models (../shared/anchors/opencv_sr; references, never shipped) run in a separate
venv with opencv-contrib-python-headless (it must not sit beside opencv-python-headless:
`python -m venv .venv-contrib && .venv-contrib/bin/pip install opencv-contrib-python-headless`)
through opencv_sr_worker.py. Quality: PSNR-Y with vgx's protocol (HR mod-cropped, LR by
antialiased bicubic via Pillow, `scale` pixels shaved) on Set5 and Set14; OpenCV's models were
trained by their authors with their own downscaling, so the protocol is vgx's, not theirs.
Speed: one 640x360 frame, BGR in to BGR out, median of `--runs`, the same thread count for
both (vgx: ONNX Runtime CPU fp32 through the runtime's Enhancer). Writes
benchmarks/results/opencv_peers.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vgx.benchmarks.studies import SHARED
from vgx.benchmarks.timing import measure
from vgx.images import downscale, list_images, load_rgb, mod_crop
from vgx.metrics import psnr_y

PEERS = [("espcn", "ESPCN"), ("fsrcnn", "FSRCNN"), ("fsrcnn", "FSRCNN-small")]
VGX = {2: ["espcn-x2", "fsrcnn-x2", "compact-x2"], 3: ["espcn-x3", "fsrcnn-x3"], 4: ["espcn-x4", "fsrcnn-x4", "compact-x4"]}
SETS = ("Set5", "Set14")


def protocol_pairs(scale: int) -> dict[str, list[tuple[str, np.ndarray, np.ndarray]]]:
    """set -> [(name, HR mod-cropped RGB, LR RGB)]."""
    out = {}
    for s in SETS:
        rows = []
        for f in list_images(SHARED / "data/sr" / s):
            hr = mod_crop(load_rgb(f), scale)
            rows.append((f.stem, hr, downscale(hr, scale)))
        out[s] = rows
    return out


def timing_frame(work: Path) -> Path:
    from vgx.images import demo_images

    path = work / "frame640x360.png"
    cv2.imwrite(str(path), cv2.resize(demo_images()["astronaut"][:, :, ::-1], (640, 360), interpolation=cv2.INTER_AREA))
    return path


def run_peer(python: str, algo: str, label: str, scale: int, pairs: dict[str, Any], work: Path, runs: int,
             threads: int) -> dict[str, Any]:
    model = SHARED / "anchors/opencv_sr" / f"{label}_x{scale}.pb"
    inputs, outputs = [], []
    for s, rows in pairs.items():
        for name, _, lr in rows:
            inputs.append(str(work / f"{s}_{name}_x{scale}_lr.png"))
            outputs.append(str(work / f"{s}_{name}_x{scale}_{label}.png"))
            cv2.imwrite(inputs[-1], lr[:, :, ::-1])
    job = work / f"job_{label}_{scale}.json"
    job.write_text(json.dumps({"model": str(model), "algo": algo, "scale": scale, "inputs": inputs, "outputs": outputs,
                               "timing_frame": str(timing_frame(work)), "runs": runs, "threads": threads}))
    worker = Path(__file__).with_name("opencv_sr_worker.py")
    done = subprocess.run([python, str(worker), str(job)], capture_output=True, text=True, check=True)
    row: dict[str, Any] = {"model": f"OpenCV {label} x{scale}", "scale": scale, **json.loads(done.stdout)}
    i = 0
    for s, rows in pairs.items():
        scores = []
        for _, hr, _ in rows:
            sr = cv2.imread(outputs[i])[:, :, ::-1]
            scores.append(psnr_y(sr, hr, scale))
            i += 1
        row[s.lower()] = round(float(np.mean(scores)), 3)
    return row


def run_vgx(name: str, scale: int, pairs: dict[str, Any], work: Path, runs: int, threads: int) -> dict[str, Any]:
    from vgx.runtime import Enhancer

    row: dict[str, Any] = {"model": f"vgx {name}", "scale": scale}
    with Enhancer(name, "fp32", "ort-cpu", threads=threads) as enh:
        for s, rows in pairs.items():
            row[s.lower()] = round(float(np.mean([psnr_y(enh(lr[:, :, ::-1].copy())[:, :, ::-1], hr, scale)
                                                  for _, hr, lr in rows])), 3)
        frame = cv2.imread(str(timing_frame(work)))
        times = measure(lambda: enh(frame), runs=runs, warmup=1)
    row["median_ms"] = float(np.median(times))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contrib-python", default=".venv-contrib/bin/python")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args()
    from vgx.cli.wiring import connect

    connect()  # zoo names export on first use
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for scale in (2, 3, 4):
            pairs = protocol_pairs(scale)
            rows += [run_peer(args.contrib_python, algo, label, scale, pairs, work, args.runs, args.threads)
                     for algo, label in PEERS]
            rows += [run_vgx(name, scale, pairs, work, args.runs, args.threads) for name in VGX[scale]]
    for r in rows:
        r["median_ms"] = round(r["median_ms"], 2)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "opencv_peers.json").write_text(json.dumps({"threads": args.threads, "rows": rows}, indent=1))
    md = (f"| model | Set5 PSNR-Y | Set14 PSNR-Y | ms per 640x360 frame ({args.threads} thread, BGR in/out) |\n"
          "|---|---:|---:|---:|\n" + "".join(f"| {r['model']} | {r['set5']:.2f} | {r['set14']:.2f} | {r['median_ms']:.1f} |\n"
                                            for r in rows))
    (args.out / "opencv_peers.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
