"""FSRCNN (Dong et al., ECCV 2016): feature extraction, shrink, map, expand, deconvolve.

d=56, s=12, m=4 with PReLU, as the paper's best setting; `slopes="layer"` (the zoo's)
learns one slope per layer instead of per channel so every activation fuses into its conv
at deployment (see export_form). The 9x9 transposed conv with
stride `scale` is the only layer at HR size; its init (std 0.001) follows the paper.

For deployment `for_export()` rewrites that deconvolution, exactly, as a convolution at
LR size into scale^2 phase planes plus a PixelShuffle: runtimes run transposed convs far
below their conv speed (ORT CPU: 29% of peak measured), and the rewrite is the same
function (checked against PyTorch at export, max abs error <= 1e-4).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .export_form import layer_slopes_as_leaky, prelu


class FSRCNN(nn.Module):
    def __init__(self, scale: int, channels: int = 1, d: int = 56, s: int = 12, m: int = 4,
                 slopes: str = "channel") -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, d, 5, padding=2), prelu(d, slopes)]
        layers += [nn.Conv2d(d, s, 1), prelu(s, slopes)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), prelu(s, slopes)]
        layers += [nn.Conv2d(s, d, 1), prelu(d, slopes)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, channels, 9, stride=scale, padding=4, output_padding=scale - 1)
        for mod in self.body:
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, a=0.25, nonlinearity="leaky_relu")
                nn.init.zeros_(mod.bias)
        nn.init.normal_(self.deconv.weight, std=0.001)
        nn.init.zeros_(self.deconv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.deconv(self.body(x))

    def phase_form(self) -> tuple[nn.Module, nn.Conv2d]:
        """(features, last conv): self(x) == PixelShuffle(last(features(x))), fusable activations."""
        conv, _shuffle = subpixel_from_deconv(self.deconv)
        return layer_slopes_as_leaky(self.body), conv

    def for_export(self) -> nn.Module:
        features, last = self.phase_form()
        return nn.Sequential(features, last, nn.PixelShuffle(self.deconv.stride[0]))


def subpixel_from_deconv(deconv: nn.ConvTranspose2d) -> nn.Sequential:
    """ConvTranspose2d(k, stride s, padding p, output_padding s-1) == Conv2d + PixelShuffle(s).

    Output pixel s*i + r takes x[i + m] * w[r + p - s*m] for every m with a valid tap, so
    phase r is a convolution over the LR grid whose taps are w[r + p - s*m]; all phases
    share one kernel window m in [-M, M] (zeros where a phase has no tap).
    """
    s, k, p = deconv.stride[0], deconv.kernel_size[0], deconv.padding[0]
    cin, cout = deconv.in_channels, deconv.out_channels
    taps = [m for m in range(-k, k + 1) if any(0 <= r + p - s * m < k for r in range(s))]
    half = max(abs(min(taps)), abs(max(taps)))
    size = 2 * half + 1
    w = deconv.weight.detach()  # cin x cout x k x k
    kernel = torch.zeros(cout * s * s, cin, size, size)
    for ry in range(s):
        for rx in range(s):
            for my in range(-half, half + 1):
                for mx in range(-half, half + 1):
                    ky, kx = ry + p - s * my, rx + p - s * mx
                    if 0 <= ky < k and 0 <= kx < k:
                        for o in range(cout):  # PixelShuffle reads channel o*s*s + ry*s + rx
                            kernel[o * s * s + ry * s + rx, :, my + half, mx + half] = w[:, o, ky, kx]
    conv = nn.Conv2d(cin, cout * s * s, size, padding=half)
    conv.weight.data.copy_(kernel)
    bias = deconv.bias.detach() if deconv.bias is not None else torch.zeros(cout)
    conv.bias.data.copy_(bias.repeat_interleave(s * s))
    return nn.Sequential(conv, nn.PixelShuffle(s))
