"""The model zoo: an explicit list of names -> (network builder, model card).

Zoo names carry the scale (`espcn-x2`); aliases map the names users type (`srgan`).
Shipped weights live beside this file in `weights/NAME.pt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from vgx.card import ModelCard
from vgx.errors import VgxError

from .models.color import LumaSR
from .models.compact import CompactSR
from .models.dcgan import Generator
from .models.espcn import ESPCN
from .models.fsrcnn import FSRCNN
from .models.srresnet import SRResNet
from .models.transformer_net import TransformerNet
from .models.vae import ConvVAE

WEIGHTS_DIR = Path(__file__).parent / "weights"


def _luma(cls: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    def build(scale: int, **kw: Any) -> nn.Module:
        return LumaSR(cls(scale=scale, channels=1, **kw), scale)

    return build


# arch name -> builder(scale=..., **arch_kwargs)
ARCHS: dict[str, Callable[..., nn.Module]] = {
    "espcn": _luma(ESPCN),
    "fsrcnn": _luma(FSRCNN),
    "compact": CompactSR,
    "srresnet": SRResNet,
    "transformer": TransformerNet,
    "dcgan": Generator,
    "vae": ConvVAE,
}


@dataclass(frozen=True)
class ZooEntry:
    name: str
    arch: str
    scale: int
    description: str
    luma_only: bool = False
    arch_kwargs: tuple[tuple[str, Any], ...] = ()
    recipe: str = "psnr"  # training recipe: "psnr" (L1, or L2 to finish), "gan" or "style"
    task: str = "sr"
    multiple_of: int = 1
    # frames wider or taller than this (input pixels) are tiled: big enough that streams up
    # to 1080p run whole, small where activations are large (SRResNet's 64 channels at 4x)
    default_tile: int = 2048
    degradation: str = ""  # "real": trained on vgx.train.degrade pairs (camera and stream input)

    def card(self) -> ModelCard:
        return ModelCard(
            name=self.name, task=self.task, arch=self.arch, arch_kwargs=dict(self.arch_kwargs),
            scale=self.scale, luma_only=self.luma_only, description=self.description, multiple_of=self.multiple_of,
            default_tile=self.default_tile, degradation=self.degradation,
        )


# one PReLU slope per layer: exports as LeakyReLU fused into each conv (train/models/export_form.py)
FUSABLE = (("slopes", "layer"),)


def _sr_entries() -> list[ZooEntry]:
    out = []
    for s in (2, 3, 4):
        out.append(ZooEntry(f"espcn-x{s}", "espcn", s, "ESPCN, sub-pixel conv on luma", luma_only=True))
    for s in (2, 3, 4):
        out.append(ZooEntry(f"fsrcnn-x{s}", "fsrcnn", s, "FSRCNN d56 s12 m4 on luma", luma_only=True,
                              arch_kwargs=FUSABLE))
    for s in (2, 4):
        out.append(ZooEntry(f"compact-x{s}", "compact", s, "compact VGG-style video SR (RGB)", arch_kwargs=FUSABLE))
    # real-world twins: same nets, trained on degraded pairs (noise, blur, JPEG, H.264/H.265)
    real = "trained on camera/stream degradations"
    out.append(ZooEntry("espcn-x2-real", "espcn", 2, f"ESPCN on luma, {real}", luma_only=True, degradation="real"))
    for s in (1, 2, 4):
        what = "restoration at input size (denoise, deblock, deblur)" if s == 1 else "compact video SR (RGB)"
        out.append(ZooEntry(f"compact-x{s}-real", "compact", s, f"{what}, {real}", arch_kwargs=FUSABLE, degradation="real"))
    out.append(ZooEntry("srresnet-x4", "srresnet", 4, "SRResNet, 16 residual blocks (PSNR)", default_tile=384,
                        arch_kwargs=FUSABLE))
    out.append(ZooEntry("srgan-x4", "srresnet", 4, "SRGAN generator, adversarial + feature loss", recipe="gan",
                        arch_kwargs=FUSABLE, default_tile=384))
    return out


# The shipped styles: zoo name suffix -> the public-domain painting they were trained on.
STYLES = {"starry-night": "starry_night.jpg", "wave": "wave.jpg", "the-scream": "the_scream.jpg",
          "composition-vii": "composition_vii.jpg", "shipwreck": "shipwreck.jpg", "udnie": "udnie.jpg"}
SLIM = (("width", 0.5), ("blocks", 3))  # ~5x fewer MACs than the full TransformerNet


def style_entry(style: str, slim: bool = False) -> ZooEntry:
    """The zoo entry of a style model (shipped or a user's own `--name`)."""
    kind = "slim TransformerNet (width 0.5, 3 blocks)" if slim else "TransformerNet (Johnson et al.)"
    return ZooEntry(f"style-{style}{'-slim' if slim else ''}", "transformer", 1, f"{kind}, style {style}",
                    arch_kwargs=SLIM if slim else (), recipe="style", task="style", multiple_of=4)


def _style_entries() -> list[ZooEntry]:
    return [style_entry(s, slim) for s in STYLES for slim in (False, True)]


def _generator_entries() -> list[ZooEntry]:
    return [
        ZooEntry("dcgan-faces", "dcgan", 1, "DCGAN 64x64 faces (hinge loss, spectral-norm critic)",
                 arch_kwargs=(("latent_dim", 100),), recipe="dcgan", task="generate"),
        ZooEntry("vae-faces", "vae", 1, "convolutional VAE 64x64 faces", arch_kwargs=(("latent_dim", 256),),
                 recipe="vae", task="generate"),
    ]


ZOO: dict[str, ZooEntry] = {e.name: e for e in _sr_entries() + _style_entries() + _generator_entries()}
ALIASES = {"srgan": "srgan-x4", "dcgan": "dcgan-faces", "vae": "vae-faces"}


def resolve(name: str, scale: int | None = None) -> ZooEntry:
    """A zoo name (`espcn-x3`, `srgan`), or a family name plus `scale` (`espcn`, 3)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key.startswith("style-") and key not in ZOO:  # a user's own style: style-NAME[-slim]
        custom = key[len("style-"):]
        slim = custom.endswith("-slim")
        return style_entry(custom[: -len("-slim")] if slim else custom, slim)
    if scale is not None:
        family = key.rsplit("-x", 1)[0]
        scales = sorted(e.scale for e in ZOO.values() if e.name.rsplit("-x", 1)[0] == family)
        if not scales:
            raise VgxError(f"unknown model {name!r}; known: {', '.join(sorted([*ZOO, *ALIASES]))} (see `vgx models`)")
        if scale not in scales or (key in ZOO and ZOO[key].scale != scale):
            raise VgxError(f"{family} does not support scale {scale}; it has x{', x'.join(map(str, scales))}")
        key = f"{family}-x{scale}"
    if key not in ZOO:
        raise VgxError(f"unknown model {name!r}; known: {', '.join(sorted([*ZOO, *ALIASES]))} (see `vgx models`)")
    return ZOO[key]


def build(card: ModelCard) -> nn.Module:
    """The nn.Module a card describes, freshly initialised."""
    if card.arch not in ARCHS:
        raise VgxError(f"model card names unknown architecture {card.arch!r}")
    try:
        return ARCHS[card.arch](scale=card.scale, **card.arch_kwargs)
    except (TypeError, ValueError) as e:
        raise VgxError(f"cannot build {card.name}: {e}") from None


def shipped_weights(name: str) -> Path | None:
    path = WEIGHTS_DIR / f"{resolve(name).name}.pt"
    return path if path.exists() else None


def count_macs(model: nn.Module, width: int = 640, height: int = 360, latent_dim: int | None = None) -> int:
    """Multiply-accumulates for one RGB frame (or one latent, for generators), counted on the
    meta device (no compute; the model is moved there)."""
    from torch.utils.flop_counter import FlopCounterMode

    meta = model.to("meta")
    x = torch.empty(1, latent_dim, device="meta") if latent_dim else torch.empty(1, 3, height, width, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        meta(x)
    return counter.get_total_flops() // 2
