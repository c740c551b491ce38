"""The bench harness on a tiny model with few runs: arithmetic, schema, skips, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_vgx
from vgx.benchmarks.report import validate
from vgx.benchmarks.timing import clip_outliers, percentile, plan_runs, summarize


def test_percentiles_by_hand() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert percentile(xs, 50) == 3.0
    assert percentile(xs, 90) == pytest.approx(4.0 + 0.6 * 6.0)  # pos 3.6 between 4 and 10
    assert percentile(xs, 0) == 1.0 and percentile(xs, 100) == 10.0
    ys = sorted(np.random.default_rng(0).random(101).tolist())
    for q in (50, 90, 99):
        assert percentile(ys, q) == pytest.approx(float(np.percentile(ys, q)))


def test_outliers_are_clipped_and_counted() -> None:
    ms = [10.0, 10.2, 9.9, 10.1, 10.0, 250.0]
    assert clip_outliers(ms) == ms[:-1]
    s = summarize(ms)
    assert s["clipped"] == 1 and s["runs"] == 6 and s["mean"] == pytest.approx(10.04, abs=0.01)
    assert s["min"] == 9.9 and s["p50"] == 10.0


def test_run_count_follows_warmup_time() -> None:
    assert plan_runs(100.0, 3.0, 5, 500) == 30
    assert plan_runs(1000.0, 3.0, 5, 500) == 5
    assert plan_runs(0.001, 3.0, 5, 500) == 500


def test_bench_writes_valid_json_markdown_and_png(espcn_artifact: Path, tmp_path: Path) -> None:
    r = run_vgx("bench", str(espcn_artifact), "--backends", "ort-cpu,ort-cuda,trt", "--precisions", "fp32,int8,fp16",
                "--sizes", "48x32", "--runs", "3", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "bench-espcn-x2.json").read_text())
    validate(doc)
    by = {(x["backend"], x["precision"]): x for x in doc["results"]}
    assert by[("ort-cpu", "fp32")]["status"] == "ok" and by[("ort-cpu", "fp32")]["latency_ms"]["runs"] == 3
    assert by[("ort-cpu", "int8")]["psnr_vs_fp32"] is not None
    assert by[("ort-cpu", "fp16")]["status"] == "skipped" and "no fp16 model" in by[("ort-cpu", "fp16")]["reason"]
    assert by[("ort-cuda", "fp32")]["status"] == "skipped" and "CUDAExecutionProvider" in by[("ort-cuda", "fp32")]["reason"]
    assert by[("trt", "fp32")]["status"] == "skipped" and by[("trt", "fp32")]["reason"]
    assert by[("ort-cpu", "fp32")]["gflops"] > 0 and doc["machine"]["cpu"]
    pp = doc["prepost_720p"]
    assert pp["size"] == [1280, 720] and pp["host_ms"]["total"] > 0 and pp["in_graph_ms"]["total"] > 0
    md = (tmp_path / "bench-espcn-x2.md").read_text()
    assert "Frame conversion per 1280x720 frame" in md
    assert "| espcn-x2 | ort-cpu | fp32 | 48x32 |" in md and "Not measured here" in md
    png = tmp_path / "espcn-x2.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_schema_validation_rejects_bad_documents() -> None:
    with pytest.raises(ValueError):
        validate({"schema": 1, "machine": {}, "results": [{"model": "x"}]})
    with pytest.raises(ValueError):
        validate({"schema": 2, "machine": {}, "results": []})


def test_peak_is_measured_or_says_how_it_was_estimated(monkeypatch, tmp_path: Path) -> None:
    from vgx.benchmarks import peak

    p = peak.measure_peak(1)
    assert "probe failed" not in p.note  # it compiles on AVX2-only CPUs too (its zmm loop only with AVX-512)
    if p.note.startswith("measured"):  # a C compiler and an FMA CPU: clock and FLOP/cycle from the probe
        assert 0.5 < (p.ghz or 0) < 7 and p.flop_per_cycle in (16, 32, 64)
        assert p.gflops == pytest.approx(p.ghz * p.flop_per_cycle, rel=0.01)
    cc = peak.find_cc()
    if cc and "avx2" in peak.cpu_flags():  # the clock loop alone: other load only slows it, never past 7 GHz
        ghz = peak._all_cores(peak.compile_probe(cc, tmp_path, False), "clock", 1) / 1e9
        assert 0.3 < ghz < 7, f"the dependent-add chain ran {ghz:.1f} G adds/s: the core folds it"
    monkeypatch.setattr(peak.shutil, "which", lambda name: None)
    nominal = peak.measure_peak(2)
    assert nominal.note.startswith(("nominal (no C compiler)", "unknown"))


def test_readme_goals_block_is_generated_from_the_json(tmp_path: Path) -> None:
    from vgx.benchmarks.report import main

    def row(model: str, backend: str, precision: str, p50: float) -> dict:
        lat = {"min": p50, "mean": p50, "p50": p50, "p90": p50, "p99": p50}
        return {"model": model, "backend": backend, "precision": precision, "size": [64, 32], "status": "ok",
                "reason": "", "latency_ms": lat, "fps": 1000 / p50, "gflops": 1.0, "psnr_vs_fp32": None, "gmacs": 0.5,
                "peak_fraction": 0.5 if backend == "ort-cpu" else None}

    doc = {"schema": 1, "machine": {"cpu": "x"}, "results": [
        row("a", "torch", "fp32", 10.0), row("a", "ort-cpu", "fp32", 4.0), row("a", "ort-cpu", "int8", 2.0)]}
    (tmp_path / "bench.json").write_text(json.dumps(doc))
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench-goals -->\nold table\n<!-- /bench-goals -->\nafter\n")
    main([str(tmp_path / "bench.json"), "--readme", str(readme)])
    text = readme.read_text()
    assert "old table" not in text and text.startswith("intro\n") and text.endswith("after\n")
    assert "| a | 0.5 | 10.0 (torch) | 2.0 | ort-cpu int8 | 5.00x | 50% | 2.00x |" in text
    assert (tmp_path / "bench.md").exists()
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="bench-goals"):
        main([str(tmp_path / "bench.json"), "--readme", str(readme)])


def test_stream_fps_beside_model_only(espcn_artifact: Path, tmp_path: Path) -> None:
    r = run_vgx("bench", str(espcn_artifact), "--backends", "ort-cpu", "--precisions", "fp32", "--sizes", "64x48",
                "--runs", "3", "--stream", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "bench-espcn-x2.json").read_text())
    case = doc["results"][0]
    assert case["stream_fps"] > 0 and case["prepost_ms"] >= 0
    assert "| stream FPS | pre+post ms |" in (tmp_path / "bench-espcn-x2.md").read_text()


def test_ort_tuning_times_every_session_variant(espcn_artifact: Path, tmp_path: Path) -> None:
    from vgx.benchmarks.studies import ort_tuning

    ort_tuning.main([str(espcn_artifact), "--precisions", "fp32", "--seconds", "0.2", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "ort-tuning.json").read_text())["rows"]
    assert [r["variant"] for r in rows] == list(ort_tuning.VARIANTS)
    assert rows[0]["vs_default"] == 1.0 and all(r["p50_ms"] > 0 for r in rows)
    assert "| speed vs default |" in (tmp_path / "ort-tuning.md").read_text()


def test_stream_is_not_run_for_generators(tmp_path: Path) -> None:
    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.train import zoo

    card = zoo.resolve("dcgan-faces").card()
    folder = export_artifact(zoo.build(card).eval(), card, ExportOptions(tmp_path / "g"), log=lambda s: None)
    r = run_vgx("bench", str(folder), "--backends", "ort-cpu", "--precisions", "fp32", "--runs", "3", "--stream",
                "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    case = json.loads((tmp_path / "bench-dcgan-faces.json").read_text())["results"][0]
    assert case["status"] == "ok" and "stream_fps" not in case
