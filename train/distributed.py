"""Data-parallel set-up from torchrun's environment (gloo on CPU, nccl on GPU)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def part(self, per_rank: int) -> slice:
        """This rank's slice of a global batch of per_rank * world items."""
        return slice(self.rank * per_rank, (self.rank + 1) * per_rank)

    def wrap(self, model: nn.Module) -> nn.Module:
        if self.world == 1:
            return model
        return nn.parallel.DistributedDataParallel(model)

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


def init_from_env() -> Dist:
    """Joins the process group when started by torchrun (WORLD_SIZE > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return Dist(dist.get_rank(), dist.get_world_size())


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
