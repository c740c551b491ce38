"""`vgx selftest` on this CPU: ORT-CPU passes every step, the GPU backends are skipped with
reasons, exit 0; a damaged artifact makes it exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_vgx


def test_selftest_passes_on_this_cpu_and_skips_what_is_missing(tmp_path: Path) -> None:
    r = run_vgx("selftest", "--quick", "--json", str(tmp_path / "st.json"), timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    doc = json.loads((tmp_path / "st.json").read_text())
    rows = doc["results"]
    assert doc["ok"] and not [x for x in rows if x["status"] == "fail"]
    for model in ("espcn-x2", "style-udnie-slim"):
        mine = [x for x in rows if x["model"] == model]
        assert {x["step"] for x in mine} == {"export", "verify", "stream", "bench"}
        carried = {"fp32+carried", "fp16+carried", "int8+carried"} if model.startswith("style") else set()
        assert {x["precision"] for x in mine if x["step"] == "verify" and x["backend"] == "ort-cpu"} == \
            {"fp32", "fp16", "int8"} | carried
        assert {x["precision"] for x in mine if x["step"] == "stream"} == {"fp32", "fp16", "int8"}
        skipped = {x["backend"]: x["detail"] for x in mine if x["status"] == "skipped"}
        assert {"ort-cuda", "ort-trt", "trt"} <= set(skipped) and all(skipped.values())
        assert all(x["ms"] > 0 for x in mine if x["step"] == "bench")


def test_selftest_fails_on_a_damaged_artifact(espcn_artifact: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(espcn_artifact, broken)
    f = broken / "model.int8.onnx"
    data = bytearray(f.read_bytes())
    data[-64] ^= 0xFF
    f.write_bytes(bytes(data))
    r = run_vgx("selftest", "--quick", "-m", str(broken))
    assert r.returncode == 1 and "check(s) failed" in r.stderr and "Traceback" not in r.stderr
