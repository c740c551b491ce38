"""The broken onnxruntime / onnxruntime-gpu mix is detected, with the fix in the message."""

from __future__ import annotations

import pytest

from vgx import environment
from vgx.errors import VgxError


def test_both_onnxruntime_wheels_are_refused(monkeypatch) -> None:
    fake = {"onnxruntime": "1.20.0", "onnxruntime-gpu": "1.20.0"}
    monkeypatch.setattr(environment, "version", lambda dist: fake.get(dist))
    with pytest.raises(VgxError, match="keep one: pip uninstall"):
        environment.check_onnxruntime()


def test_one_wheel_is_fine(monkeypatch) -> None:
    monkeypatch.setattr(environment, "version", lambda dist: {"onnxruntime-gpu": "1.20.0"}.get(dist))
    environment.check_onnxruntime()


def test_report_names_python_and_installed_packages() -> None:
    info = environment.report()
    assert "python" in info and "numpy" in info and "vgx" in info
