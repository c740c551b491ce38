"""The artifact folder's manifest: the one contract between export and runtime.

`manifest.json` holds the model card, opset, I/O names and dynamic axes, the sha256 of
every file, per precision the verification figures, engines and the build environment.
The runtime reads only this folder and refuses a file whose hash does not match, or a
path that leaves the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from vgx.errors import VgxError

SCHEMA = 1
NAME = "manifest.json"
REQUIRED = ("schema", "card", "opset", "inputs", "outputs", "files", "precisions")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inside(folder: Path, name: str) -> Path:
    """`folder / name`, refusing names that leave the folder (absolute, '..', links out)."""
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise VgxError(f"manifest names a file outside its folder: {name!r}")
    return path


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
    tmp = folder / f".{NAME}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False))
    os.replace(tmp, path)
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
    return manifest


def verified_path(folder: str | Path, manifest: dict[str, Any], name: str) -> Path:
    """The path of a listed file after checking its sha256 against the manifest."""
    root = Path(folder)
    entry = manifest["files"].get(name)
    if entry is None:
        raise VgxError(f"{name} is not listed in {root / NAME}")
    path = inside(root, name)
    if not path.is_file():
        raise VgxError(f"{path} is missing: re-export the model")
    if sha256_file(path) != entry["sha256"]:
        raise VgxError(f"{path} does not match the sha256 in its manifest (changed or corrupt): re-export the model")
    return path
