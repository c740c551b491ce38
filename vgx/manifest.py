"""The artifact folder's manifest: the one contract between export and runtime.

`manifest.json` holds the model card, opset, I/O names and dynamic axes, the sha256 of
every file, per precision the verification figures, engines and the build environment.
The runtime reads only this folder and refuses a file whose hash does not match, or a
path that leaves the folder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from vgx.atomic import atomic_path
from vgx.errors import VgxError

SCHEMA = 1
NAME = "manifest.json"
PRECISIONS = ("fp32", "fp16", "int8")  # what an artifact can hold, in this order
REQUIRED = ("schema", "card", "opset", "inputs", "outputs", "files", "precisions")
# What a precision must show against fp32, by export (which records it) and by every backend
# that runs the artifact (vgx verify): fp32 to tolerance, fp16 to a PSNR floor per task, int8
# to the figure its export measured less a margin (backends round differently from ORT).
FP32_TOL = {"atol": 1e-3, "rtol": 1e-3}
FP16_MIN_PSNR = {"sr": 45.0, "style": 40.0, "generate": 40.0}
INT8_MARGIN_DB = 1.0


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inside(folder: Path, name: str, what: str = "manifest names a file") -> Path:
    """`folder / name`, refusing names that leave the folder (absolute, '..', links out)."""
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise VgxError(f"{what} outside its folder: {name!r}")
    return path


# An ONNX TensorProto.external_data entry {key: "location", value: PATH}, as protobuf bytes:
# field 1 (key, 8 bytes "location") then field 2 (value, length-prefixed).
_LOCATION = b"\n\x08location\x12"


def external_data_locations(onnx_bytes: bytes) -> list[str]:
    """The external-data paths an ONNX file names, found without the onnx package (the
    runtime does not have it). ONNX Runtime checks these itself only from 1.24 on, and
    TensorRT's parser reads them too, so vgx confines them before any runtime sees the file."""
    found, i = [], onnx_bytes.find(_LOCATION)
    while i >= 0:
        j, length, shift = i + len(_LOCATION), 0, 0
        while j < len(onnx_bytes):  # varint length
            byte = onnx_bytes[j]
            length |= (byte & 0x7F) << shift
            j, shift = j + 1, shift + 7
            if byte < 0x80:
                break
        found.append(onnx_bytes[j : j + length].decode("utf-8", "replace"))
        i = onnx_bytes.find(_LOCATION, j + length)
    return found


def record_files(folder: Path, manifest: dict[str, Any]) -> None:
    """(Re)compute the hash and size of every file in the folder except the manifest."""
    manifest["files"] = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(folder.iterdir()) if p.is_file() and p.name != NAME and not p.name.startswith(".")
    }


def write(folder: Path, manifest: dict[str, Any]) -> Path:
    """Hash the folder's files into the manifest and write it atomically."""
    record_files(folder, manifest)
    manifest["schema"] = SCHEMA
    path = folder / NAME
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False))
    return path


def read(folder: str | Path) -> dict[str, Any]:
    """The manifest of an artifact folder, validated (keys, schema); hashes not yet checked."""
    root = Path(folder)
    path = root / NAME
    if not path.is_file():
        raise VgxError(f"no {NAME} in {root}: not a vgx artifact folder (make one with `vgx export`)")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise VgxError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(manifest, dict):
        raise VgxError(f"{path} is not a manifest object")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise VgxError(f"{path} lacks {', '.join(missing)}: re-export the model")
    if manifest["schema"] != SCHEMA:
        raise VgxError(f"{path} has schema {manifest['schema']}; this vgx reads schema {SCHEMA}: re-export or upgrade vgx")
    bad = _malformed(manifest)
    if bad:
        raise VgxError(f"{path} is malformed ({bad}): re-export the model")
    return manifest


def _malformed(m: dict[str, Any]) -> str:
    """What is wrong with the structure the readers rely on ('' when nothing)."""
    if not isinstance(m["card"], dict) or not isinstance(m["card"].get("name"), str):
        return "card"
    files = m["files"]
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("sha256"), str) for k, v in files.items()):
        return "files: expected {name: {sha256, bytes}}"
    precisions = m["precisions"]
    if not isinstance(precisions, dict) or not all(
            k in PRECISIONS and isinstance(v, dict) and isinstance(v.get("file"), str) for k, v in precisions.items()):
        return f"precisions: expected {{{'|'.join(PRECISIONS)}: {{file, ...}}}}"
    return ""


def verified_path(folder: str | Path, manifest: dict[str, Any], name: str) -> Path:
    """The path of a listed file after checking its sha256 against the manifest."""
    root = Path(folder)
    entry = manifest["files"].get(name)
    if entry is None:
        raise VgxError(f"{name} is not listed in {root / NAME}")
    path = inside(root, name)
    if not path.is_file():
        raise VgxError(f"{path} is missing: re-export the model")
    onnx_bytes = path.read_bytes() if path.suffix == ".onnx" else None  # hashed and scanned from one read
    digest = hashlib.sha256(onnx_bytes).hexdigest() if onnx_bytes is not None else sha256_file(path)
    if digest != entry["sha256"]:
        raise VgxError(f"{path} does not match the sha256 in its manifest (changed or corrupt): re-export the model")
    for location in external_data_locations(onnx_bytes or b""):
        inside(root, location, what=f"{name} keeps external data")
    return path
