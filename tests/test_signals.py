"""Signals at awkward moments: outputs are complete and valid, or absent; never half-written.
A training run killed outright (SIGKILL) resumes from its last checkpoint and reproduces the
uninterrupted run's losses."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_vgx


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # a test run started in the background inherits SIGINT ignored (POSIX, for '&' jobs), and so
    # would vgx: give it the default disposition, as an interactive user's vgx has
    return subprocess.Popen([sys.executable, "-m", "vgx", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=REPO, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("delay,sig", [(0.5, signal.SIGTERM), (1.5, signal.SIGINT), (3.0, signal.SIGTERM),
                                       (5.0, signal.SIGINT)])
def test_interrupted_export_leaves_a_verified_artifact_or_nothing(tmp_path: Path, delay: float, sig: int) -> None:
    out = tmp_path / "art"
    proc = _start("export", "espcn-x2", "--fp16", "--int8", "--out", str(out))
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "art"]
    assert not leftovers, f"temp files left behind: {leftovers}"
    if out.exists():  # the export won the race: then it must be whole
        assert run_vgx("verify", str(out)).returncode == 0
    else:
        assert proc.returncode != 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_an_import_interrupts_after_the_import(tmp_path: Path, sig: int) -> None:
    """A KeyboardInterrupt raised inside a native module's init aborts the process: vgx's handler
    lets the import finish, then interrupts."""
    (tmp_path / "slow_module.py").write_text(
        f"import os, time\nos.kill(os.getpid(), {int(sig)})\ntime.sleep(0.3)\nprint('imported', flush=True)\n")
    script = ("import time\nfrom vgx.cli import interrupts\ninterrupts.install()\ntry:\n"
              "    import slow_module\n    time.sleep(5)\n    print('not interrupted')\n"
              "except KeyboardInterrupt:\n    print('interrupted after the import')\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.stdout.split() == ["imported", "interrupted", "after", "the", "import"], r.stdout + r.stderr


def _losses(log: Path) -> dict[int, str]:
    """step -> loss as written (a resumed run rewrites the steps after its checkpoint: last wins)."""
    return {int(r["step"]): r["loss"] for r in csv.DictReader(log.open())}


def test_sigkilled_training_resumes_and_reproduces_the_uninterrupted_run(image_dir: Path, tmp_path: Path) -> None:
    common = ["train", "espcn-x2", "--data", str(image_dir), "--val", str(image_dir), "--steps", "12",
              "--batch-size", "4", "--patch-size", "16", "--ckpt-every", "4", "--val-every", "100", "--threads", "1"]
    assert run_vgx(*common, "--out", str(tmp_path / "whole")).returncode == 0
    killed = tmp_path / "killed"
    proc = _start(*common, "--out", str(killed))
    log = killed / "train_log.csv"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:  # kill it between checkpoints
        if log.exists() and max(_losses(log), default=0) >= 6:
            break
        time.sleep(0.05)
    proc.kill()
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert (killed / "last.pt").exists(), "no checkpoint survived"
    r = run_vgx(*common, "--out", str(killed), "--resume", str(killed / "last.pt"))
    assert r.returncode == 0, r.stderr
    whole, resumed = _losses(tmp_path / "whole" / "train_log.csv"), _losses(log)
    assert [resumed[s] for s in range(9, 13)] == [whole[s] for s in range(9, 13)]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_training_leaves_loadable_checkpoints_only(image_dir: Path, tmp_path: Path, sig: int) -> None:
    import torch

    out = tmp_path / "run"
    proc = _start("train", "espcn-x2", "--data", str(image_dir), "--val", str(image_dir), "--steps", "100000",
                  "--batch-size", "4", "--patch-size", "16", "--ckpt-every", "1", "--val-every", "1000",
                  "--threads", "1", "--out", str(out))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (out / "last.pt").exists():
        time.sleep(0.05)
    time.sleep(0.3)  # checkpoints are written every step: the signal lands mid-write at times
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "temp files left behind"
    for ckpt in out.glob("*.pt"):
        assert "model" in torch.load(ckpt, weights_only=True)
