"""ONNX Runtime CPU session settings, measured: which ones move latency on this machine.

    python -m vgx.benchmarks.studies.ort_tuning espcn-x2,compact-x2,style-wave [--precisions fp32,int8]

Each variant changes one setting from vgx's default session (all graph optimisations,
one intra-op thread per core, spinning threads, ORT-allocated outputs) and is timed on the
same 640x360 photo, interleaved with the default so drift in the machine hits both alike.
Writes benchmarks/results/ort-tuning.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from vgx import manifest as mf

from ..matrix import frame_input
from ..timing import measure, summarize

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "1 thread": {"threads": 1},
    "no spinning": {"config": {"session.intra_op.allow_spinning": "0"}},
    "extended opt (no NCHWc)": {"level": "ORT_ENABLE_EXTENDED"},
    "basic opt": {"level": "ORT_ENABLE_BASIC"},
    "denormals as zero": {"config": {"session.set_denormal_as_zero": "1"}},
    "io binding, preallocated output": {"bind": True},
}


def _session(path: Path, variant: dict[str, Any]) -> Callable[[np.ndarray], Any]:
    from vgx.runtime.ort_runner import import_ort, make_session

    ort = import_ort()
    sess = make_session(path, threads=variant.get("threads"), level=variant.get("level"), config=variant.get("config"))
    name = sess.get_inputs()[0].name
    if not variant.get("bind"):
        return lambda x: sess.run(None, {name: x})
    binding = sess.io_binding()
    state: dict[str, Any] = {}

    def run(x: np.ndarray) -> Any:
        if "out" not in state:  # shape of the output for this input, then bind it once
            y = sess.run(None, {name: x})[0]
            state["out"] = ort.OrtValue.ortvalue_from_numpy(np.empty_like(y))
            binding.bind_output(sess.get_outputs()[0].name, "cpu", 0, np.float32, y.shape, state["out"].data_ptr())
        binding.bind_cpu_input(name, x)
        sess.run_with_iobinding(binding)
        return state["out"]

    return run


def tune(model: str, precision: str, seconds: float = 2.0, rounds: int = 2) -> list[dict[str, Any]]:
    from vgx.runtime.resolve import resolve_artifact

    folder = resolve_artifact(model)
    manifest = mf.read(folder)
    path = mf.verified_path(folder, manifest, manifest["precisions"][precision]["file"])
    x = frame_input((640, 360), max(1, manifest["card"].get("multiple_of", 1)))
    runs = {name: _session(path, v) for name, v in VARIANTS.items()}
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(rounds):  # interleaved rounds: the machine's drift lands on every variant
        for name, fn in runs.items():
            times[name] += measure(lambda fn=fn: fn(x), target_s=seconds / rounds)
    base = summarize(times["default"])["p50"]
    return [{"model": manifest["card"]["name"], "precision": precision, "variant": name, "p50_ms": summarize(t)["p50"],
             "vs_default": round(base / summarize(t)["p50"], 3)} for name, t in times.items()]


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| model | precision | variant | p50 ms | speed vs default |", "|---|---|---|---:|---:|"]
    lines += [f"| {r['model']} | {r['precision']} | {r['variant']} | {r['p50_ms']:.1f} | {r['vs_default']:.2f}x |"
              for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models")
    ap.add_argument("--precisions", default="fp32,int8")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args(argv)
    rows = [r for m in args.models.split(",") for p in args.precisions.split(",") for r in tune(m, p, args.seconds)]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ort-tuning.json").write_text(json.dumps({"rows": rows}, indent=2))
    (args.out / "ort-tuning.md").write_text(markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
