"""Training recipes: what one optimisation step does, and the state it needs to resume.

A recipe owns its optimisers (and any second network, such as a discriminator); the loop
owns data, schedule, logging and checkpoints.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vgx.card import ModelCard
from vgx.errors import VgxError

from .checkpoint import unwrap
from .models.color import rgb_to_y


class Recipe:
    """What resuming needs: named optimisers and named extra networks (by state_dict key)."""

    optims: dict[str, torch.optim.Optimizer]
    nets: dict[str, nn.Module] = {}

    def to(self, device: torch.device) -> None:
        """Moves what the recipe holds besides the model (loss network, teacher, critic, style
        Grams) to the training device; modules move in place, so the optimisers keep their params."""
        for name, value in vars(self).items():
            if isinstance(value, nn.Module):
                value.to(device)
            elif isinstance(value, torch.Tensor):
                setattr(self, name, value.to(device))
            elif isinstance(value, dict) and value and all(isinstance(v, torch.Tensor) for v in value.values()):
                setattr(self, name, {k: v.to(device) for k, v in value.items()})

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return list(self.optims.values())

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {k: o.state_dict() for k, o in self.optims.items()}
        state.update({k: unwrap(n).state_dict() for k, n in self.nets.items()})
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k, n in self.nets.items():
            unwrap(n).load_state_dict(state[k])
        for k, o in self.optims.items():
            o.load_state_dict(state[k])


PIXEL_LOSSES = {"l1": F.l1_loss, "l2": F.mse_loss}


class PSNRRecipe(Recipe):
    """L1 (or L2: PSNR's own error, for a finishing slice) on RGB, or on BT.601 luma for luma-only nets
    (where their papers measure)."""

    def __init__(self, model: nn.Module, card: ModelCard, lr: float, pixel_loss: str = "l1") -> None:
        if pixel_loss not in PIXEL_LOSSES:
            raise VgxError(f"--pixel-loss must be one of {', '.join(PIXEL_LOSSES)}, not {pixel_loss!r}")
        self.model, self.card = model, card
        self.loss_fn = PIXEL_LOSSES[pixel_loss]
        self.provenance = "" if pixel_loss == "l1" else f" ({pixel_loss.upper()} loss)"
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.optims = {"opt": self.opt}

    def pixel_loss(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        if self.card.luma_only:
            return self.loss_fn(rgb_to_y(sr), rgb_to_y(hr))
        return self.loss_fn(sr, hr)

    def step(self, lr: torch.Tensor, hr: torch.Tensor) -> dict[str, torch.Tensor]:
        self.model.train()
        loss = self.pixel_loss(self.model(lr), hr)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.detach()}
