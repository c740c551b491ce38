"""The model card: what every stage needs to know about a model, and nothing else.

It travels inside the checkpoint and, later, into the export manifest. It is a plain
dict on disk (JSON-able, loadable with `torch.load(weights_only=True)`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

TASKS = ("sr", "style", "generate")


@dataclass
class ModelCard:
    name: str  # zoo name, e.g. "espcn-x2"
    task: str  # "sr" | "style" | "generate"
    arch: str  # network family, e.g. "espcn"
    arch_kwargs: dict[str, Any] = field(default_factory=dict)  # rebuilds the nn.Module
    scale: int = 1
    channels: int = 3  # at the model boundary
    color_order: str = "RGB"
    value_range: tuple[float, float] = (0.0, 1.0)  # float32 at the model boundary
    luma_only: bool = False  # the net sees BT.601 Y only; chroma is upscaled bicubically
    multiple_of: int = 1  # input H and W must be multiples of this
    default_tile: int = 2048  # frames larger than this (input side) are tiled
    trained_on: str = ""
    # what training inputs went through: "" a clean bicubic downscale; "real" camera/stream
    # degradations (blur, resize, noise, JPEG, H.264/H.265: vgx.train.degrade)
    degradation: str = ""
    train_steps: int = 0
    init_steps: int = 0  # steps behind the weights this run started from (--init), 0 from scratch
    # the slices behind those init_steps, oldest first, each "NAME: N steps on TRAINED_ON": a model
    # fine-tuned in several slices keeps what every earlier slice trained on, not only its last
    lineage: list[str] = field(default_factory=list)
    quality: dict[str, float] = field(default_factory=dict)  # e.g. {"set5_psnr_y": 33.1}
    description: str = ""

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"model card task must be one of {TASKS}, not {self.task!r}")
        self.value_range = tuple(self.value_range)  # type: ignore[assignment]

    def slice_summary(self) -> str:
        """This run as one lineage entry of a model fine-tuned from it."""
        return f"{self.name}: {self.train_steps} steps on {self.trained_on or 'unrecorded data'}"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["value_range"] = list(self.value_range)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelCard:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
