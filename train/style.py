"""Fast neural style: content crops, the perceptual-loss recipe, validation grids.

The loss network is ImageNet VGG-19 up to relu3_4 (vgx.train.vgg), the family Gatys and
Johnson used. The EfficientNet-Lite0 features of the first wave carried too little style
signal: its styles came out as sepia/teal blurs of the photo (texture-statistics distance
ratio 0.86-1.00 on held-out photos, benchmarks/studies/style_quality.py).
- content: relu3_1 (shapes survive, strokes may change them);
- style: Grams at relu1_1, relu2_1, relu3_1, relu3_4 and, for strokes larger than relu3_4's
  68 px receptive field, at relu2_1/relu3_1/relu3_4 of a 2x-downscaled copy (`@2`), and with
  `octaves=3` of a 4x-downscaled one (`@4`) too;
- relative (scale-free) errors, so one style weight fits every painting;
- stability: f(move(x) + noise) must equal move(f(x)) (vgx.train.style_losses), at a weight
  chosen on the texture/flicker trade-off curve (README, style section).
A slim net can instead be distilled from a trained full one (`teacher`): pixel MSE to the
teacher's output (plus the stability term), no loss network, about 5x cheaper a step. Pure
MSE leaves the student softer than its teacher (the shipped udnie slim: gradient 0.23 against
0.62); with `style_image` too, the painting's Gram term is added back to sharpen it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call

from vgx.card import ModelCard
from vgx.errors import VgxError
from vgx.images import caption, center_square, demo_images, list_images, load_rgb, save_rgb, side_by_side

from .degrade import jpeg
from .models.carried_norm import CarriedNorms
from .recipes import Recipe
from .style_losses import DETAIL_FLOOR, content_loss, gram, random_motion, stability_loss, style_loss, tv_loss, warp
from .tensors import check_bf16, device_of, to_tensor, to_uint8
from .vgg import VGG19Features

CONTENT_LAYER = "relu3_1"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu3_4")
OCTAVE_LAYERS = ("relu2_1", "relu3_1", "relu3_4")  # of each downscaled copy (relu1_1's 3 px say nothing new)
# Two octaves were the second wave's recipe. Measured per EfficientNet layer on the held-out
# photos, the shipped udnie's texture gap to the reference Udnie is at the deep layers (distance
# ratio e3 0.68, e5 0.71 against the reference's 0.32, 0.36; stem 0.38 against 0.28): strokes
# larger than relu3_4@2's ~136 px, which a third octave (@4) reaches.
OCTAVES = 2


def style_weights(octaves: int = OCTAVES) -> dict[str, float]:
    """The Gram terms: every style layer at full size, OCTAVE_LAYERS of each 2^k-downscaled copy."""
    if not 1 <= octaves <= 3:
        raise VgxError(f"--style-octaves {octaves}: 1, 2 or 3 (a 256 px crop at 1/8 is too small for relu3_4)")
    return {**{k: 1.0 for k in STYLE_LAYERS},
            **{f"{k}@{2 ** o}": 1.0 for o in range(1, octaves) for k in OCTAVE_LAYERS}}


class ContentSampler:
    """Random square crops (flipped at random) of content images held in memory."""

    def __init__(self, folders: list[str | Path], crop: int, log: Any = print, margin: int = 0) -> None:
        crop += 2 * margin  # context around each crop (StyleRecipe with context: a pan brings it in)
        self.crop = crop
        self.images = []
        for f in [f for d in folders for f in list_images(d)]:
            img = load_rgb(f)
            short = min(img.shape[:2])
            if short < crop:  # upscale small images rather than drop them
                s = crop / short
                img = cv2.resize(img, (round(img.shape[1] * s) + 1, round(img.shape[0] * s) + 1), interpolation=cv2.INTER_CUBIC)
            self.images.append(img)

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, rng: np.random.Generator, batch: int, part: slice | None = None) -> tuple[Tensor]:
        c = self.crop
        idx = rng.integers(0, len(self.images), size=batch)
        u = rng.random((batch, 3))
        keep = range(batch)[part] if part is not None else range(batch)
        crops = []
        for i in keep:
            img = self.images[idx[i]]
            y, x = int(u[i, 0] * (img.shape[0] - c + 1)), int(u[i, 1] * (img.shape[1] - c + 1))
            crop = img[y : y + c, x : x + c]
            crops.append(crop[:, ::-1] if u[i, 2] < 0.5 else crop)
        return (to_tensor(np.stack(crops)),)


def load_style_image(path: str | Path, size: int) -> Tensor:
    """The painting as 1x3xHxW in [0,1], short side `size` (grey and RGBA are converted)."""
    img = load_rgb(path)
    s = size / min(img.shape[:2])
    img = cv2.resize(img, (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s))), interpolation=cv2.INTER_AREA)
    return to_tensor(img)


# the stability term's next-frame change (StyleRecipe._perturbed; "codec": StyleRecipe._codec_pair)
PERTURBATIONS = ("pixel", "camera", "codec")
CONTEXT_MARGIN = 16  # px of real content around a crop: covers random_motion's largest move (~12 px at a corner)
CODEC_CRF = (23, 36)  # what streams and recordings carry (the h264 evaluation preset: 28-35)
CODEC_PRESETS = ("ultrafast", "veryfast", "medium")
OCCLUDER_PX = (48, 128)  # the crossing object's side in a 256 px crop: a car or a bus roof
OCCLUDER_MOVE_PX = 24  # its own move between the two frames, on top of the camera's
OCCLUDER_BORDER_PX = 24  # around it the output may change: the camera's move (~12 px) and the object's near field


class StyleRecipe(Recipe):
    def __init__(self, model: nn.Module, card: ModelCard, lr: float, style_image: str = "", style_size: int = 512,
                 content_weight: float = 1.0, style_weight: float = 5.0, tv_weight: float = 0.0,
                 stability_weight: float = 1000.0, noise_std: float = 0.04, noise_min: float | None = None,
                 perturb: str = "pixel", motion_px: float = 4.0, relative_stability: bool = False,
                 context: bool = False, occlude: bool = False, per_detail: bool = False, detail_window: int = 0,
                 detail_ceiling: float = 0.0, carried: bool = False, octaves: int = OCTAVES,
                 lossnet: str | None = None, teacher: str | None = None, bf16: bool = False) -> None:
        if not style_image and not teacher:
            raise VgxError("style training needs --style IMAGE (a painting)")
        self.model, self.card = model, card
        if bf16:
            check_bf16(device_of(model))
        self.bf16 = bf16
        self.w = {"content": content_weight, "style": style_weight, "tv": tv_weight, "stability": stability_weight,
                  "distill": 1000.0}  # MSE x 1000: the scale of the stability term
        # the stability term's sensor noise: std noise_std, or per sample log-uniform in [noise_min, noise_std]
        # (a near-still clip changes by under a level a frame: bikes, where the strokes flicker most)
        self.noise_std, self.motion_px = noise_std, motion_px
        self.noise_min = noise_std if noise_min is None else noise_min
        if not 0 < self.noise_min <= noise_std:
            raise VgxError(f"--stability-noise-min {noise_min} must be in (0, --stability-noise {noise_std}]")
        if perturb not in PERTURBATIONS:
            raise VgxError(f"--stability-perturb {perturb!r}: one of {', '.join(PERTURBATIONS)}")
        self.perturb, self.relative = perturb, relative_stability
        if per_detail and relative_stability:
            raise VgxError("--stability-per-detail and --stability-relative are two ways to charge the same term: pick one")
        if detail_window and not per_detail:
            raise VgxError("--stability-detail-window is a window of --stability-per-detail: add that")
        if detail_window < 0 or (detail_window and detail_window % 2 == 0):
            raise VgxError(f"--stability-detail-window {detail_window}: an odd number of pixels (0: the whole crop)")
        if detail_ceiling and not per_detail:
            raise VgxError("--stability-detail-ceiling caps the energy of --stability-per-detail: add that")
        if detail_ceiling < 0 or (detail_ceiling and not DETAIL_FLOOR < detail_ceiling < 1):
            raise VgxError(f"--stability-detail-ceiling {detail_ceiling}: a mean squared detail in ({DETAIL_FLOOR:.2g}, 1) "
                           "(the free udnie's is ~0.0016; 0: none)")
        self.per_detail, self.detail_window, self.detail_ceiling = per_detail, detail_window, detail_ceiling
        # the moved frame shows real content where the move brings new pixels in (the sampler's crops
        # carry CONTEXT_MARGIN around them), not black: what enters a panning frame changes every
        # InstanceNorm's statistics, and so the whole output (bikes: a bus roof moving through)
        self.margin = CONTEXT_MARGIN if context else 0
        if context and perturb == "codec":
            raise VgxError("--stability-context is for the pixel and camera perturbations")
        if occlude and perturb == "codec":
            raise VgxError("--stability-occlude is for the pixel and camera perturbations")
        self.occlude = occlude
        # the stream carries every InstanceNorm's statistics from frame to frame (runtime/norm_carry.py):
        # the next frame then sees the first frame's statistics, as the stream would show it; the
        # twin computes the net with them (the model's own parameters, through functional_call)
        if carried and isinstance(model, nn.parallel.DistributedDataParallel):
            raise VgxError("--stability-carried trains in one process (its twin runs the net outside "
                           "DistributedDataParallel): drop torchrun's extra processes")
        self.carried = CarriedNorms(model) if carried else None
        self.teacher: nn.Module | None = None
        self.style_targets: dict[str, Tensor] | None = None
        self.provenance = ""
        if teacher:
            from .loading import load_model

            self.teacher, tcard = load_model(teacher)
            self.teacher.requires_grad_(False)
            if tcard.task != "style":
                raise VgxError(f"--teacher {teacher} is a {tcard.task} model; distil from a trained style model")
            self.provenance = f"; distilled from {tcard.name} ({tcard.train_steps} steps)"  # the loop adds it to the card
        if style_image and octaves != OCTAVES:
            self.provenance += f"; style Grams over {octaves} octaves"
        if self.bf16:
            self.provenance += "; bfloat16 autocast"
        if style_image:
            self.octaves, self.style_weights = octaves, style_weights(octaves)
            self.lossnet = VGG19Features(lossnet, (CONTENT_LAYER, *STYLE_LAYERS))
            with torch.no_grad():
                feats = self.lossnet.features(load_style_image(style_image, style_size), octaves)
                self.style_targets = {k: gram(feats[k]) for k in self.style_weights}
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.optims = {"opt": self.opt}

    def _autocast(self) -> torch.autocast:
        """The nets' convolutions in bfloat16 (--bf16); the losses stay in fp32 outside it."""
        return torch.autocast(device_of(self.model).type, dtype=torch.bfloat16, enabled=self.bf16)

    def _forward(self, net: nn.Module, x: Tensor) -> Tensor:
        with self._autocast():
            return net(x).float()

    def _forward_carried(self, x: Tensor, state: Tensor | None) -> tuple[Tensor, Tensor]:
        """(the net's output, the norm statistics it used): its own (`state` None) or `state`'s."""
        assert self.carried is not None
        params = {f"net.{k}": v for k, v in self.model.named_parameters()}
        state, keep = self.carried.frame_inputs(x.shape[0], state, torch.ones(1))  # frozen at `state`'s
        with self._autocast():
            y, used = functional_call(self.carried, params, (x, state.to(x.device), keep.to(x.device)))
        return y.float(), used

    def _features(self, x: Tensor, octaves: int = 1) -> dict[str, Tensor]:
        with self._autocast():
            feats = self.lossnet.features(x, octaves)
        return {k: v.float() for k, v in feats.items()}

    def losses(self, content: Tensor, out: Tensor) -> dict[str, Tensor]:
        if self.teacher is not None:
            with torch.no_grad():
                target_out = self._forward(self.teacher, content)
            parts = {"distill": torch.nn.functional.mse_loss(out, target_out)}
            if self.style_targets is not None:
                parts["style"] = self._style(self._features(out, self.octaves))
            return parts
        assert self.style_targets is not None
        with torch.no_grad():
            target = self._features(content)
        feats = self._features(out, self.octaves)
        parts = {"content": content_loss(feats, target, CONTENT_LAYER),
                 "style": self._style(feats)}
        if self.w["tv"] > 0:
            parts["tv"] = tv_loss(out)
        return parts

    def _style(self, feats: dict[str, Tensor]) -> Tensor:
        assert self.style_targets is not None
        return style_loss(feats, self.style_targets, self.style_weights)

    def step(self, content: Tensor) -> dict[str, Tensor]:
        self.model.train()
        m = self.margin
        around, content = content, content[..., m:-m, m:-m] if m else content
        frames = self._next_frame(content, around) if self.w["stability"] > 0 else None
        if frames is not None:
            content = frames[0]  # the codec pair's first frame is the decoded crop
        if self.carried is not None and frames is not None:
            out, stats = self._forward_carried(content, None)
        else:
            out = self._forward(self.model, content)
        parts = self.losses(content, out)
        if frames is not None:
            _, theta, next_frame, relative_to, keep = frames
            out_of_next = (self._forward_carried(next_frame, stats.detach())[0] if self.carried is not None
                           else self._forward(self.model, next_frame))
            parts["stability"] = stability_loss(out_of_next, out, theta, relative_to, keep,
                                                self.per_detail, self.detail_window, self.detail_ceiling)
        loss = sum(self.w[k] * v for k, v in parts.items())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.detach(), **{k: v.detach() for k, v in parts.items()}}

    def _next_frame(self, content: Tensor, around: Tensor
                    ) -> tuple[Tensor, Tensor, Tensor, tuple[Tensor, Tensor] | None, Tensor | None]:
        """(this frame, the move theta, the next frame as the stability term sees it, for
        --stability-relative the input change's two sides, and for --stability-occlude where the
        output is held still); `around` is the crop with its margin."""
        theta = random_motion(content.shape[0], self.motion_px, content.shape[-2:]).to(content.device)
        if self.perturb == "codec":
            content, next_frame = self._codec_pair(content, theta)
            return content, theta, next_frame, (next_frame, warp(content, theta)[0]) if self.relative else None, None
        m = self.margin
        moved = self._moved_in_context(around, theta, m) if m else warp(content, theta)[0]
        keep = None
        if self.occlude:
            content, moved, keep = self._object_crossing(content, moved)
        next_frame = self._perturbed(moved)
        return content, theta, next_frame, (next_frame, moved) if self.relative else None, keep

    @staticmethod
    def _object_crossing(first: Tensor, moved: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """An object crossing the scene between the two frames: a square of another crop of the
        batch that appears, leaves, or moves by up to OCCLUDER_MOVE_PX. Returns both frames with it
        and the mask (next frame's grid) of where the output must stay: everywhere but the object
        and a border. A large object changes every InstanceNorm's statistics and so, in a plain
        net, the whole picture (bikes' flicker: a bus roof moving through a still street)."""
        n, _, h, w = first.shape
        first, moved, donor = first.clone(), moved.clone(), first.roll(1, 0)
        keep = torch.ones(n, 1, h, w, device=first.device)
        b = OCCLUDER_BORDER_PX
        for i in range(n):  # torch's CPU RNG throughout, as the motion: resumable
            s = int(torch.randint(OCCLUDER_PX[0], min(OCCLUDER_PX[1], h, w) + 1, (1,)))
            sy, sx = (int(torch.randint(0, d - s + 1, (1,))) for d in (h, w))
            patch = donor[i, :, sy:sy + s, sx:sx + s]
            y1, x1 = (int(torch.randint(0, d - s + 1, (1,))) for d in (h, w))
            dy, dx = (int(v) for v in torch.randint(-OCCLUDER_MOVE_PX, OCCLUDER_MOVE_PX + 1, (2,)))
            y2, x2 = min(max(y1 + dy, 0), h - s), min(max(x1 + dx, 0), w - s)
            kind = int(torch.randint(3, (1,)))  # 0 appears, 1 leaves, 2 moves
            for frame, y, x, present in ((first, y1, x1, kind != 0), (moved, y2, x2, kind != 1)):
                if present:
                    frame[i, :, y:y + s, x:x + s] = patch
                    keep[i, :, max(y - b, 0):y + s + b, max(x - b, 0):x + s + b] = 0
        return first, moved, keep

    def _perturbed(self, moved: Tensor) -> Tensor:
        """The moved frame as the next frame of a camera would differ from it: fresh noise, per
        pixel ("pixel"); or ("camera") noise correlated over 0-4 px and, for half the samples, a
        JPEG round trip first. The plain net ignores pixel noise (output/input change 0.1) but
        follows low-frequency noise (1.0) and blocks (0.5): codec changes make bikes flicker."""
        std = self._noise_std(moved)  # drawn before the noise, as before "camera" existed: old runs resume alike
        noise = torch.randn_like(moved)
        if self.perturb == "camera":
            moved = moved.clone()
            for i in range(moved.shape[0]):  # torch's CPU RNG throughout, as the motion: resumable
                sigma = float(torch.tensor([0.0, 1.0, 2.0, 4.0])[torch.randint(4, (1,))])
                if sigma > 0:
                    n = cv2.GaussianBlur(noise[i].permute(1, 2, 0).cpu().numpy(), (0, 0), sigma)
                    n = torch.from_numpy(n).permute(2, 0, 1)
                    noise[i] = (n / n.std().clamp_min(1e-6)).to(noise.device)
                if torch.rand(1).item() < 0.5:
                    q = int(torch.randint(30, 91, (1,)))
                    moved[i] = to_tensor(jpeg(to_uint8(moved[i]), q))[0].to(moved.device)
        return moved + std * noise

    @staticmethod
    def _moved_in_context(around: Tensor, theta: Tensor, m: int) -> Tensor:
        """The crop moved by `theta` with its margin's content brought in: the same pixel motion
        (centres shared, so only the shift's normalised units change) on the larger crop, cropped."""
        big = theta.clone()
        big[:, :, 2] *= (around.shape[-1] - 2 * m) / around.shape[-1]
        return warp(around, big)[0][..., m:-m, m:-m]

    def _codec_pair(self, content: Tensor, theta: Tensor) -> tuple[Tensor, Tensor]:
        """Two consecutive frames as a stream delivers them: the crop and its move by `theta` (still,
        theta = identity, for half the samples: a near-still clip is where styles flicker most), each
        with its own sensor noise, then one H.264 encode and decode (random CRF and preset), so the
        second arrives inter-coded against the first, with the encoder's changes between frames
        (requantised blocks that come and go). Tried on udnie for bikes' flicker, it did not lower it
        (README, style section): the shipped net does not amplify these changes on training crops."""
        from .codec import encode_decode

        still = torch.rand(theta.shape[0]) < 0.5  # torch's CPU RNG throughout, as the motion: resumable
        theta[still] = torch.eye(2, 3, device=theta.device)
        moved, _ = warp(content, theta)
        std = self._noise_std(content)
        first = content + std * torch.randn_like(content)
        second = moved + std * torch.randn_like(moved)
        crf = torch.randint(CODEC_CRF[0], CODEC_CRF[1] + 1, (content.shape[0],))
        preset = torch.randint(len(CODEC_PRESETS), (content.shape[0],))
        pairs = [encode_decode([to_uint8(first[i]), to_uint8(second[i])], "libx264", int(crf[i]),
                               CODEC_PRESETS[int(preset[i])]) for i in range(content.shape[0])]
        return (torch.cat([to_tensor(a) for a, _ in pairs]).to(content.device),
                torch.cat([to_tensor(b) for _, b in pairs]).to(content.device))

    def _noise_std(self, content: Tensor) -> Tensor | float:
        if self.noise_min == self.noise_std:
            return self.noise_std
        lo, hi = torch.tensor([self.noise_min, self.noise_std]).log()
        u = torch.rand(content.shape[0], 1, 1, 1)  # torch's CPU RNG, as the motion: resumable
        return (lo + (hi - lo) * u).exp().to(content.device)


class StyleValidator:
    """Content | stylized for a fixed evaluation set, and the losses on it."""

    def __init__(self, recipe: StyleRecipe, folder: str | None, size: int = 256) -> None:
        self.recipe = recipe
        imgs = [load_rgb(f) for f in list_images(folder)[:6]] if folder else list(demo_images().values())
        self.images = [center_square(i, size) for i in imgs]

    @torch.no_grad()
    def run(self, model: nn.Module, grid_path: Path | None = None) -> dict[str, float]:
        was = model.training
        model.eval()
        totals: dict[str, float] = {}
        pairs = []
        for img in self.images:
            x = to_tensor(img).to(device_of(model))
            y = model(x).clamp(0, 1)
            for k, v in self.recipe.losses(x, y).items():
                totals[k] = totals.get(k, 0.0) + float(v) / len(self.images)
            pairs.append(side_by_side([img, to_uint8(y)]))
        model.train(was)
        if grid_path is not None:
            rows = [np.pad(p, ((0, 4), (0, 0), (0, 0)), constant_values=255) for p in pairs]
            grid = caption(np.concatenate(rows), ["content", "stylized"], [self.images[0].shape[1]] * 2)
            save_rgb(grid_path, grid)
            save_rgb(grid_path.with_name("latest.png"), grid)
        return {f"val_{k}": v for k, v in totals.items()}
