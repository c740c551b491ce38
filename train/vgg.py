"""VGG-19 up to relu3_4: the style loss network of Gatys and Johnson, from a local file.

Nothing is downloaded and nothing of it ships: the weights are a training-time input
(`--lossnet FILE`, `$VGX_LOSSNET`, or ../shared/data/lossnets beside a checkout). The file
is a state_dict `conv1_1.weight ... conv3_4.bias` in the Caffe convention (BGR, 0..255,
minus the ImageNet mean), so RGB [0,1] inputs are converted inside `forward`.
With relu3_4 the deepest layer (receptive field 68 px), larger strokes are reached by
taking the same statistics of 2x- and 4x-downscaled copies (`features(x, octaves=2 or 3)`).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vgx.errors import VgxError

FILE_NAME = "vgg19_conv1_1-conv3_4.fp16.pth"
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# (name, in, out); a 2x2 max-pool follows conv1_2 and conv2_2.
CONVS = [("conv1_1", 3, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128), ("conv2_2", 128, 128),
         ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256), ("conv3_4", 256, 256)]
POOL_AFTER = {"conv1_2", "conv2_2"}


def default_path() -> Path | None:
    """$VGX_LOSSNET, else the shared data folder beside this checkout, else None."""
    env = os.environ.get("VGX_LOSSNET")
    if env:
        return Path(env)
    data = Path(os.environ.get("VGX_DATA", Path(__file__).resolve().parents[2] / "shared/data"))
    found = data / "lossnets" / FILE_NAME
    return found if found.is_file() else None


class VGG19Features(nn.Module):
    """Frozen relu activations (`relu1_1` ... `relu3_4`) of RGB [0,1] images."""

    def __init__(self, path: str | Path | None = None, layers: tuple[str, ...] = ()) -> None:
        super().__init__()
        path = Path(path) if path else default_path()
        if path is None or not path.is_file():
            why = f"; {path} is not a file" if path else ""
            raise VgxError(f"style training needs the VGG-19 loss network {FILE_NAME} (ImageNet VGG-19 conv1_1..conv3_4 "
                           f"as a state_dict): pass --lossnet FILE or set VGX_LOSSNET{why}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - a wrong or corrupt file is the user's, say so in one line
            raise VgxError(f"{path}: not a readable loss-network state_dict ({type(e).__name__})") from None
        deepest = max((int(n[4]) * 10 + int(n[6]) for n in layers), default=34)
        self.convs = nn.ModuleDict({n: nn.Conv2d(i, o, 3, padding=1) for n, i, o in CONVS
                                    if int(n[4]) * 10 + int(n[6]) <= deepest})
        try:
            self.convs.load_state_dict({k: v.float() for k, v in state.items() if k.split(".")[0] in self.convs}, strict=True)
        except (RuntimeError, AttributeError) as e:
            raise VgxError(f"{path}: not the VGG-19 conv1_1..conv3_4 state_dict ({str(e).splitlines()[0]})") from None
        mean = torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1) / 255.0
        self.register_buffer("mean_bgr", mean, persistent=False)
        self.layers = set(layers) if layers else {"relu" + n[4:] for n in self.convs}
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGG19Features:  # frozen
        return super().train(False)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        h = (x.flip(1) - self.mean_bgr) * 255.0  # RGB [0,1] -> Caffe BGR 0..255 minus mean
        out: dict[str, Tensor] = {}
        for name, conv in self.convs.items():
            h = F.relu(conv(h))
            if "relu" + name[4:] in self.layers:
                out["relu" + name[4:]] = h
            if name in POOL_AFTER and len(out) < len(self.layers):
                h = F.max_pool2d(h, 2)
        return out

    def features(self, x: Tensor, octaves: int = 1) -> dict[str, Tensor]:
        """The layers' activations of `x`, plus for each further octave those of a copy downscaled
        2x, 4x, ... as `NAME@2`, `NAME@4`, ..."""
        out = self(x)
        for o in range(1, octaves):
            f = 2 ** o
            small = F.interpolate(x, scale_factor=1 / f, mode="bilinear", antialias=True, align_corners=False)
            out.update({f"{k}@{f}": v for k, v in self(small).items()})
        return out
