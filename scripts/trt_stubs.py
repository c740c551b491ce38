#!/usr/bin/env python
"""Copy tensorrt-stubs into build/typings with its syntax errors mended, for mypy.

tensorrt-stubs (every 10.x release checked, 10.8 to 10.13) does not parse as shipped:
some plugin parameters are named `in` (a keyword), `add_scale_nd` has a required
parameter after defaulted ones, and it imports `tensorrt_libs`, which has no stubs.
The copy fixes exactly those; every signature vgx uses is as shipped.
"""

import re
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "build" / "typings"


def _default_after_default(line: str) -> str:
    """`def f(a=None, b: int)` -> `def f(a=None, b: int = ...)`: keeps the stub parseable."""
    m = re.match(r"(\s*def \w+\()(.*)(\)\s*->.*)$", line)
    if not m or " = " not in m.group(2):
        return line
    params, seen_default = [], False
    for p in m.group(2).split(", "):
        if "=" in p:
            seen_default = True
        elif seen_default and ":" in p and not p.startswith("*"):
            p += " = ..."
        params.append(p)
    return m.group(1) + ", ".join(params) + m.group(3)


def main() -> int:
    for package in ("tensorrt", "tensorrt_bindings"):
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            print(f"{package} stubs not installed: pip install --no-deps tensorrt-stubs", file=sys.stderr)
            return 1
        src = Path(next(iter(spec.submodule_search_locations)))
        dst = OUT / package
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True)
        for pyi in src.glob("*.pyi"):
            text = re.sub(r"\bin: ", "in_: ", pyi.read_text())
            text = text.replace("import tensorrt_libs as tensorrt_libs\n", "")
            text = "\n".join(_default_after_default(line) for line in text.splitlines()) + "\n"
            (dst / pyi.name).write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
