#!/usr/bin/env python
"""Ship finished runs: python scripts/ship_weights.py runs/zoo/espcn-x3/model.pt [...]"""

import sys
from pathlib import Path

from vgx.train.ship import ship

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sr"

if __name__ == "__main__":
    for run in sys.argv[1:]:
        ship(run, {"set5": DATA / "Set5", "set14": DATA / "Set14"})
