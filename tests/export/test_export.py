"""Every zoo model exports to fp32 / fp16 / int8 ONNX and verifies on ORT's CPU provider."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
import torch

from tests.conftest import run_vgx
from vgx import manifest as mf
from vgx.card import ModelCard
from vgx.errors import VgxError
from vgx.export import artifact as artifact_mod
from vgx.export.artifact import ExportOptions, export_artifact
from vgx.export.int8 import Int8Config
from vgx.images import parse_size
from vgx.runtime.verify import verify_artifact
from vgx.train import checkpoint, zoo


def _distinct_networks() -> list[ModelCard]:
    """One card per distinct network in the zoo (the styles share two)."""
    seen, cards = set(), []
    for entry in zoo.ZOO.values():
        key = (entry.arch, entry.arch_kwargs, entry.scale, entry.recipe)
        if key not in seen:
            seen.add(key)
            cards.append(entry.card())
    shift_following = zoo.resolve("style-wave-slim").card()  # vgx train style --antialias
    shift_following.arch_kwargs["antialias"] = True
    return cards + [shift_following]


def _model(card: ModelCard) -> torch.nn.Module:
    torch.manual_seed(0)
    return zoo.build(card).eval()


@pytest.mark.parametrize("card", _distinct_networks(),
                         ids=lambda c: c.name + ("+antialias" if c.arch_kwargs.get("antialias") else ""))
def test_zoo_model_exports_every_precision_and_verifies(card: ModelCard, tmp_path: Path) -> None:
    out = tmp_path / card.name
    # random weights: bound the fallback search (its behaviour is tested on its own below)
    export_artifact(_model(card), card, ExportOptions(out, fp16=True, int8=Int8Config(count=4, max_fallback=1)),
                    log=lambda s: None)
    manifest = mf.read(out)
    assert set(manifest["precisions"]) == {"fp32", "fp16", "int8"}
    assert manifest["opset"] >= 17 and manifest["card"]["name"] == card.name
    if card.task == "generate":  # a latent vector in: only the batch varies
        assert manifest["inputs"][0]["dynamic_axes"] == {"0": "batch"} and manifest["macs_per_sample"] > 0
    else:
        assert manifest["inputs"][0]["dynamic_axes"] == {"0": "batch", "2": "height", "3": "width"}
        assert manifest["macs_per_input_pixel"] > 0
    assert manifest["precisions"]["fp32"]["verification"]["max_abs"] <= 1e-4
    assert manifest["precisions"]["fp16"]["verification"]["psnr"] >= (45 if card.task == "sr" else 40)
    for name, entry in manifest["files"].items():
        assert mf.sha256_file(out / name) == entry["sha256"]
    fp16 = onnx.load(str(out / "model.fp16.onnx"))
    assert fp16.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT  # fp32 I/O kept
    if card.task == "style":  # InstanceNorm computes in fp32 inside the fp16 graph
        norms = [n for n in fp16.graph.node if n.op_type == "InstanceNormalization"]
        assert norms
        fp16_inits = {i.name for i in fp16.graph.initializer if i.data_type == onnx.TensorProto.FLOAT16}
        assert not any(set(n.input) & fp16_inits for n in norms)
        # and the carried-norm graphs (streams) for every precision (export/carried.py)
        carried = {p: e["carried"] for p, e in manifest["precisions"].items() if "carried" in e}
        assert set(carried) == {"fp32", "fp16", "int8"} and carried["fp32"]["verification"]["max_abs"] <= 1e-4
        assert carried["fp16"]["verification"]["psnr"] >= 40
        half = onnx.load(str(out / carried["fp16"]["file"]))
        assert [o.type.tensor_type.elem_type for o in half.graph.output] == [onnx.TensorProto.FLOAT] * 2
    else:
        assert not any("carried" in e for e in manifest["precisions"].values())
    int8 = onnx.load(str(out / "model.int8.onnx"))
    quantized = manifest["precisions"]["int8"]["quantization"]["quantized_nodes"]
    assert any(n.op_type == "QuantizeLinear" for n in int8.graph.node) == (quantized > 0)
    assert quantized > 0 or card.arch == "fsrcnn"  # FSRCNN's thin layers all stay float on the cpu target
    if card.task != "generate":  # frame-I/O twins (for GPU providers): uint8 BGR in and out, exact to one level
        assert all(p["frame_io"]["max_lsb_diff"] <= 1 for k, p in manifest["precisions"].items() if k != "int8")
        int8 = manifest["precisions"]["int8"]
        assert ("frame_io" in int8) == (int8["quantization"]["target"] == "gpu")  # cpu int8 runs on ORT CPU only
    checks = verify_artifact(out, ["ort-cpu"])
    expected = ["fp32", "fp16", "int8"] + (["fp32+carried", "fp16+carried", "int8+carried"] if card.task == "style" else [])
    assert [c.precision for c in checks] == expected and all(c.status == "pass" for c in checks)


def test_pixel_shuffle_exports_as_depth_to_space_crd(tmp_path: Path) -> None:
    card = zoo.resolve("espcn-x3").card()
    export_artifact(_model(card), card, ExportOptions(tmp_path / "e"), log=lambda s: None)
    nodes = onnx.load(str(tmp_path / "e" / "model.fp32.onnx")).graph.node
    d2s = [n for n in nodes if n.op_type == "DepthToSpace"]
    assert d2s and all(a.s == b"CRD" for n in d2s for a in n.attribute if a.name == "mode")
    resize = [n for n in nodes if n.op_type == "Resize"]
    assert all(a.s == b"half_pixel" for n in resize for a in n.attribute if a.name == "coordinate_transformation_mode")


def test_one_slope_activations_export_as_leaky_relu(tmp_path: Path) -> None:
    card = zoo.resolve("fsrcnn-x2").card()  # ORT and TensorRT fuse LeakyRelu into the conv; PRelu runs alone
    export_artifact(_model(card), card, ExportOptions(tmp_path / "f"), log=lambda s: None)
    ops = [n.op_type for n in onnx.load(str(tmp_path / "f" / "model.fp32.onnx")).graph.node]
    assert ops.count("LeakyRelu") == 7 and "PRelu" not in ops


def test_int8_targets(tmp_path: Path) -> None:
    """gpu: symmetric int8 everywhere (TensorRT); cpu: uint8 activations, narrow tail convs float."""
    card = zoo.resolve("espcn-x2").card()
    model = _model(card)
    graphs = {}
    for target in ("gpu", "cpu"):
        cfg = Int8Config(count=4, target=target, max_fallback=0)
        export_artifact(model, card, ExportOptions(tmp_path / target, int8=cfg), log=lambda s: None)
        graphs[target] = onnx.load(str(tmp_path / target / "model.int8.onnx")).graph
        q = mf.read(tmp_path / target)["precisions"]["int8"]["quantization"]
        assert q["target"] == target
    tail = [n for n in graphs["cpu"].node if n.op_type == "Conv"][-1]
    inits = {t.name: t for t in graphs["cpu"].initializer}
    assert tail.input[1] in inits and inits[tail.input[1]].data_type == onnx.TensorProto.FLOAT  # not dequantized
    for target, graph in graphs.items():
        zero_points = [t for t in graph.initializer if t.name.endswith("_zero_point") and len(t.dims) == 0]
        types = {t.data_type for t in zero_points if not t.name.startswith("onnx::") and "weight" not in t.name}
        assert (onnx.TensorProto.UINT8 in types) == (target == "cpu"), (target, types)
    with pytest.raises(VgxError, match="int8-target gpu"):
        from vgx.cli.export import export_model

        export_model("espcn-x2", tmp_path / "e", False, Int8Config(count=4, target="cpu"), True, {}, 1, 64, False, None)


def test_int8_falls_back_node_by_node_until_the_budget_holds(tmp_path: Path) -> None:
    card = zoo.resolve("compact-x2").card()
    cfg = Int8Config(count=4, budget=0.0)  # nothing but float meets a zero budget
    export_artifact(_model(card), card, ExportOptions(tmp_path / "c", int8=cfg), log=lambda s: None)
    q = mf.read(tmp_path / "c")["precisions"]["int8"]["quantization"]
    tries = q["tries"]
    assert [t["float_nodes"] for t in tries] == list(range(len(tries)))  # one node at a time
    assert len(q["float_nodes"]) == len(tries) - 1 and len(set(q["float_nodes"])) == len(q["float_nodes"])
    assert q["within_budget"] == tries[-1]["ok"]


def test_verify_refuses_a_tampered_file(tmp_path: Path) -> None:
    card = zoo.resolve("espcn-x2").card()
    out = export_artifact(_model(card), card, ExportOptions(tmp_path / "e"), log=lambda s: None)
    data = bytearray((out / "model.fp32.onnx").read_bytes())
    data[-10] ^= 0xFF
    (out / "model.fp32.onnx").write_bytes(bytes(data))
    with pytest.raises(VgxError, match="does not match the sha256"):
        verify_artifact(out)


def test_manifest_with_a_path_outside_the_folder_is_refused(tmp_path: Path) -> None:
    card = zoo.resolve("espcn-x2").card()
    out = export_artifact(_model(card), card, ExportOptions(tmp_path / "e"), log=lambda s: None)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["precisions"]["fp32"]["file"] = "../../etc/passwd"
    manifest["files"]["../../etc/passwd"] = {"sha256": "0", "bytes": 1}
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(VgxError, match="outside its folder"):
        verify_artifact(out)


def test_failed_export_leaves_no_folder(tmp_path: Path, monkeypatch) -> None:
    def boom(*a, **k):
        raise VgxError("simulated failure in fp16")

    monkeypatch.setattr(artifact_mod, "convert_fp16", boom)
    card = zoo.resolve("espcn-x2").card()
    with pytest.raises(VgxError, match="simulated"):
        export_artifact(_model(card), card, ExportOptions(tmp_path / "e", fp16=True), log=lambda s: None)
    assert list(tmp_path.iterdir()) == []


def test_reexport_replaces_the_old_folder(tmp_path: Path) -> None:
    card = zoo.resolve("espcn-x2").card()
    out = tmp_path / "e"
    export_artifact(_model(card), card, ExportOptions(out, fp16=True), log=lambda s: None)
    export_artifact(_model(card), card, ExportOptions(out), log=lambda s: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e"]
    assert not (out / "model.fp16.onnx").exists()


def test_sizes_must_respect_multiple_of() -> None:
    assert parse_size("640x360") == (640, 360)
    with pytest.raises(VgxError, match="multiple of 4"):
        parse_size("642x360", 4)
    with pytest.raises(VgxError, match="WIDTHxHEIGHT"):
        parse_size("wide")
    with pytest.raises(VgxError, match="positive"):
        parse_size("0x10")


# ---- the command line, as users call it -------------------------------------------------

@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> str:
    card = zoo.resolve("espcn-x2").card()
    return str(checkpoint.save(tmp_path_factory.mktemp("ck") / "espcn.pt", card, _model(card)))


def _error_line(r) -> str:
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("vgx: error:")]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_export_and_verify_commands(ckpt: str, tmp_path: Path) -> None:
    r = run_vgx("export", ckpt, "--fp16", "--int8", "--calib-count", "4", "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    r = run_vgx("verify", str(tmp_path / "a"), "--backends", "ort-cpu")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("pass") == 3


def test_engine_without_a_gpu_exports_onnx_and_prints_the_plan(ckpt: str, tmp_path: Path) -> None:
    """No TensorRT GPU here: the ONNX artifact is written, with what --engine would build there."""
    from vgx.environment import gpu_compute_capability, tensorrt_version

    if tensorrt_version() and gpu_compute_capability():
        pytest.skip("TensorRT and a GPU are here")
    r = run_vgx("export", ckpt, "--fp16", "--engine", "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    err = " ".join(r.stderr.split())
    assert "fp16 on TensorRT 8.6: network EXPLICIT_BATCH, builder flags FP16" in err
    assert "fp16 on TensorRT 10.3: network STRONGLY_TYPED, builder flags none" in err
    assert f"run there: vgx export {ckpt} --fp16 --engine --out {tmp_path / 'a'}" in err
    manifest = mf.read(tmp_path / "a")
    assert manifest["engines"] == {} and manifest["tensorrt_check"]["files"]["model.fp16.onnx"]["10.x"]["ok"]


@pytest.mark.parametrize("case", ["empty", "junk", "few"])
def test_bad_calibration_folders(ckpt: str, tmp_path: Path, case: str) -> None:
    calib = tmp_path / "calib"
    calib.mkdir()
    if case == "junk":
        (calib / "a.txt").write_text("x")
    if case == "few":
        from vgx.images import demo_images, save_rgb

        save_rgb(calib / "one.png", demo_images()["chelsea"])
    line = _error_line(run_vgx("export", ckpt, "--int8", "--calib", str(calib), "--calib-count", "8",
                               "--out", str(tmp_path / "a")))
    assert ("no images" in line) if case != "few" else ("only 1 image" in line)
    assert not (tmp_path / "a").exists()


def test_unwritable_out(ckpt: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _error_line(run_vgx("export", ckpt, "--out", str(blocker / "sub")))
    assert "cannot write" in line


def test_bad_names_and_checkpoints(tmp_path: Path) -> None:
    assert "unknown model" in _error_line(run_vgx("export", "nosuchnet"))
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"\x00" * 10)
    assert "not a loadable vgx checkpoint" in _error_line(run_vgx("export", str(bad)))
    assert "not a vgx artifact folder" in _error_line(run_vgx("verify", str(tmp_path)))


def test_eval_scores_each_precision_of_an_artifact(ckpt: str, tmp_path: Path, image_dir: Path) -> None:
    out = tmp_path / "a"
    assert run_vgx("export", ckpt, "--fp16", "--out", str(out)).returncode == 0
    scores = {}
    for precision in ("fp32", "fp16"):
        report = tmp_path / f"{precision}.json"
        r = run_vgx("eval", str(out), "--precision", precision, "--data", str(image_dir), "--json", str(report))
        assert r.returncode == 0, r.stderr
        scores[precision] = json.loads(report.read_text())["mean"]["psnr_y"]
    torch_r = run_vgx("eval", ckpt, "--data", str(image_dir), "--json", str(tmp_path / "torch.json"))
    assert torch_r.returncode == 0
    torch_score = json.loads((tmp_path / "torch.json").read_text())["mean"]["psnr_y"]
    assert abs(scores["fp32"] - torch_score) < 0.01 and abs(scores["fp16"] - torch_score) < 0.05
    assert "no int8 model" in _error_line(run_vgx("eval", str(out), "--precision", "int8", "--data", str(image_dir)))
