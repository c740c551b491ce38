"""Evidence scripts: one-off studies whose committed results (benchmarks/results/) back the
README's figures. Each runs as `python -m vgx.benchmarks.studies.NAME`; the library they
measure with (vgx bench, its report, statistics) is one level up."""

from pathlib import Path

# ../shared beside the checkout: data and reference models the studies read (never shipped)
SHARED = Path(__file__).resolve().parents[3] / "shared"
