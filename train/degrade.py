"""Real-world degradations for training pairs (after Real-ESRGAN's second-order pipeline).

A camera frame or a network stream is not a clean bicubic downscale: it was blurred by
optics and motion, resized by the ISP or the encoder with some kernel, carries sensor noise
(signal-dependent, partly colour) and then codec artefacts (JPEG blocks, H.264/H.265
smearing). One stage applies, in the order a camera does, a blur, a random resize, noise
and a compression (each drawn at random); the second stage (with probability `second_order`) does it again, milder;
the last step resizes to exactly HR/scale. Everything is numpy + OpenCV (+ PyAV for video
codecs) on uint8/float RGB, seeded by the numpy Generator it is given, torch-free (the
evaluation of an exported model uses it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from vgx.errors import VgxError
from vgx.images import downscale

from .codec import codec_round_trip

INTERPOLATIONS = (cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC)


@dataclass(frozen=True)
class DegradeConfig:
    """Ranges each stage draws from; (lo, hi) pairs are uniform."""

    # Centred on what cameras and streams deliver (and what the PSNR goals are stated for): a
    # first run with Real-ESRGAN's heavier blur (prob 0.8, sigma to 2) and more second-order
    # stages left compact-x2 at 28.7 dB on mild Set5, below bicubic (30.1): it learnt to
    # sharpen blur that mild input does not have.
    blur_prob: float = 0.3
    blur_sigma: tuple[float, float] = (0.2, 1.2)
    anisotropic_prob: float = 0.4
    generalized_prob: float = 0.15  # generalised Gaussian, shape beta in (0.5, 4): sharper or boxier kernels
    sinc_prob: float = 0.05  # ringing, as from over-sharpened or band-limited sources
    resize_range: tuple[float, float] = (0.8, 1.25)  # an intermediate rescale relative to the current size
    noise_prob: float = 0.85
    noise_sigma: tuple[float, float] = (1.0, 12.0)  # Gaussian, in 8-bit levels
    poisson_prob: float = 0.3  # signal-dependent shot noise instead of Gaussian
    poisson_scale: tuple[float, float] = (0.05, 1.0)  # std of a mid-grey pixel in levels, ~ x 5
    grey_noise_prob: float = 0.4  # luminance-only noise (the rest: independent per channel)
    jpeg_quality: tuple[int, int] = (30, 95)
    video_prob: float = 0.3  # an H.264 / H.265 round trip instead of JPEG
    video_crf: tuple[int, int] = (22, 36)
    video_codecs: tuple[str, ...] = ("libx264", "libx265")
    video_presets: tuple[str, ...] = ("ultrafast", "veryfast", "medium")
    second_order: float = 0.3  # probability of a second, milder stage
    clean_prob: float = 0.15  # a plain bicubic downscale: good frames must keep their detail
    stages: tuple[str, ...] = field(default=("blur", "resize", "noise", "compress"))


# Restoration at the input resolution (compact-x1-real): no resize stage (a down-and-up resize
# is a blur the target frame does not have) and little blur: noise and compression are what a
# restored frame should lose (trained from compact-x2-real's body; README, real-world input).
RESTORE = DegradeConfig(blur_prob=0.1, blur_sigma=(0.2, 0.8), stages=("blur", "noise", "compress"))
# Camera and stream frames at their own size: one downscale straight to the LR size (a random
# area / bilinear / bicubic kernel, no rescale around it), little blur, then noise and codec.
# Restoring at LR with RESTORE's net and then upscaling with a clean model beat the wide
# config's x2 models by 0.6 dB on noisy JPEG input: the wide rescales cost the sharpness.
CAMERA = DegradeConfig(blur_prob=0.1, blur_sigma=(0.2, 0.8), resize_range=(1.0, 1.0))
# Network streams (IP cameras, WebRTC, recordings): CAMERA's pairs with H.264 / H.265 twice as
# often (CAMERA's 0.3 left H.264 input +0.73-0.86 dB over bicubic at x2 where noise + JPEG got +1.0).
# 4000 steps on it: compact-x4-real meets +0.6 on both (shipped); compact-x2-real gains 0.07-0.11
# on H.264 but loses 0.16 on noise + JPEG (not shipped).
STREAM = replace(CAMERA, video_prob=0.6, video_crf=(24, 38))
# A network camera with a clean sensor: the codec is all the damage (the `h264` figure's case).
# STREAM adds noise before the codec 85% of the time, so only about 1 of its pairs in 10 was
# codec-only; NETWORK draws the noise half as often. 4000 steps of compact-x2-real on it (train_zoo.sh
# real-l) left H.264 Set5 where STREAM did (29.84) and noise + JPEG 0.24 dB lower: not shipped.
NETWORK = replace(STREAM, noise_prob=0.45)
CONFIGS = {"wide": DegradeConfig(), "camera": CAMERA, "stream": STREAM, "network": NETWORK, "restore": RESTORE}


def config_for(scale: int, name: str | None = None) -> DegradeConfig:
    """The training degradation of a -real model: `name` from CONFIGS, by default restore at x1, else wide."""
    if name is None:
        return RESTORE if scale == 1 else CONFIGS["wide"]
    if name not in CONFIGS:
        raise VgxError(f"--degradations {name!r}: one of {', '.join(CONFIGS)}")
    return CONFIGS[name]


def gaussian_kernel(size: int, sigma_x: float, sigma_y: float, angle: float, beta: float = 2.0) -> np.ndarray:
    """A normalised (generalised, beta != 2) anisotropic Gaussian, rotated by `angle` radians."""
    r = size // 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float64)
    c, s = np.cos(angle), np.sin(angle)
    u, v = (c * x + s * y) / sigma_x, (-s * x + c * y) / sigma_y
    k = np.exp(-0.5 * (u * u + v * v) ** (beta / 2))
    return (k / k.sum()).astype(np.float32)


def sinc_kernel(size: int, cutoff: float) -> np.ndarray:
    """A circular low-pass (jinc-like) kernel: the ringing of a band-limited signal."""
    r = size // 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float64)
    d = np.hypot(x, y) * cutoff
    k = np.sinc(d) * np.hanning(size)[:, None] * np.hanning(size)[None, :]
    return (k / k.sum()).astype(np.float32)


def random_blur(img: np.ndarray, rng: np.random.Generator, cfg: DegradeConfig) -> np.ndarray:
    if rng.random() < cfg.sinc_prob:
        size = int(rng.choice([7, 9, 11, 13]))
        return cv2.filter2D(img, -1, sinc_kernel(size, rng.uniform(0.25, 0.5)), borderType=cv2.BORDER_REFLECT)
    sx = rng.uniform(*cfg.blur_sigma)
    sy = rng.uniform(*cfg.blur_sigma) if rng.random() < cfg.anisotropic_prob else sx
    beta = rng.uniform(0.5, 4.0) if rng.random() < cfg.generalized_prob else 2.0
    size = int(2 * np.ceil(3 * max(sx, sy)) + 1)
    k = gaussian_kernel(max(3, min(size, 21)), sx, sy, rng.uniform(0, np.pi), beta)
    return cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT)


def resize(img: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """To (w, h) with a randomly drawn interpolation (area, bilinear or bicubic)."""
    return cv2.resize(img, size, interpolation=int(rng.choice(INTERPOLATIONS)))


def add_noise(img: np.ndarray, rng: np.random.Generator, cfg: DegradeConfig) -> np.ndarray:
    """Gaussian or Poisson noise on a float image in [0, 1]; grey (luminance) or per channel."""
    grey = rng.random() < cfg.grey_noise_prob
    shape = img.shape[:2] + ((1,) if grey else (img.shape[2],))
    if rng.random() < cfg.poisson_prob:
        # photon counts: variance proportional to the signal; `scale` sets the std at mid-grey
        std_mid = rng.uniform(*cfg.poisson_scale) * 5 / 255.0
        photons = 0.5 / (std_mid * std_mid)
        base = img.mean(2, keepdims=True) if grey else img
        noise = rng.poisson(np.clip(base, 0, 1) * photons) / photons - base
        noise = noise.astype(np.float32)
    else:
        noise = rng.normal(0.0, rng.uniform(*cfg.noise_sigma) / 255.0, shape).astype(np.float32)
    return img + noise


def jpeg(img_u8: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img_u8[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise VgxError("JPEG encoding failed")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]


def compress(img: np.ndarray, rng: np.random.Generator, cfg: DegradeConfig) -> np.ndarray:
    u8 = to_u8(img)
    if rng.random() < cfg.video_prob and min(u8.shape[:2]) >= 16:
        out = codec_round_trip(u8, str(rng.choice(cfg.video_codecs)), int(rng.integers(cfg.video_crf[0], cfg.video_crf[1] + 1)),
                               str(rng.choice(cfg.video_presets)), rng)
    else:
        out = jpeg(u8, int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)))
    return out.astype(np.float32) / 255.0


def to_u8(img: np.ndarray) -> np.ndarray:
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)


def degrade(hr: np.ndarray, scale: int, rng: np.random.Generator, cfg: DegradeConfig = DegradeConfig()) -> np.ndarray:
    """uint8 RGB HR (sides multiples of `scale`) -> degraded uint8 LR of exactly HR/scale."""
    h, w = hr.shape[:2]
    target = (w // scale, h // scale)
    if rng.random() < cfg.clean_prob:
        return downscale(hr, scale) if scale > 1 else hr.copy()
    img = hr.astype(np.float32) / 255.0
    stages = [cfg] + ([milder(cfg)] if rng.random() < cfg.second_order else [])
    for i, stage in enumerate(stages):
        for op in stage.stages:  # optics, resize, sensor, codec: Real-ESRGAN's order within a stage
            if op == "blur" and rng.random() < stage.blur_prob:
                img = random_blur(img, rng, stage)
            elif op == "resize":
                # the first stage lands near the target size, so later noise and blocks sit at LR scale
                base = target if i == 0 else (img.shape[1], img.shape[0])
                f = rng.uniform(*stage.resize_range)
                img = resize(img, (max(8, round(base[0] * f)), max(8, round(base[1] * f))), rng)
            elif op == "noise" and rng.random() < stage.noise_prob:
                img = add_noise(img, rng, stage)
            elif op == "compress":
                img = compress(np.clip(img, 0, 1), rng, stage)
    if (img.shape[1], img.shape[0]) != target:
        img = resize(img, target, rng)
    return to_u8(img)


def milder(cfg: DegradeConfig) -> DegradeConfig:
    """The second stage: less blur and noise, higher quality (Real-ESRGAN's second order)."""
    return replace(cfg, blur_prob=cfg.blur_prob * 0.8, blur_sigma=(cfg.blur_sigma[0], cfg.blur_sigma[1] * 0.75),
                   noise_sigma=(cfg.noise_sigma[0], cfg.noise_sigma[1] * 0.5),
                   resize_range=(max(0.8, cfg.resize_range[0]), min(1.2, cfg.resize_range[1])),
                   poisson_scale=(cfg.poisson_scale[0], cfg.poisson_scale[1] * 0.5),
                   jpeg_quality=(max(cfg.jpeg_quality[0], 40), cfg.jpeg_quality[1]))


# Named evaluation degradations (`vgx eval --degrade SPEC`), applied to the protocol's
# bicubic LR. `mild` is the setting the -real goals are stated for (issue: real-world SR).
PRESETS = {
    "mild": "noise=2-10,jpeg=30-60",
    "h264": "h264=28-35",
    "camera": "blur=0.6-1.2,noise=2-10,jpeg=30-60",
}
SPEC_KEYS = ("blur", "noise", "jpeg", "h264", "h265", "seed")


@dataclass(frozen=True)
class EvalDegradation:
    """A seeded, named degradation: each image `index` gets its own draw from `seed`."""

    spec: str
    steps: tuple[tuple[str, tuple[float, float]], ...]
    seed: int = 0

    def __call__(self, lr: np.ndarray, index: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, index])
        img = lr.astype(np.float32) / 255.0
        for key, (lo, hi) in self.steps:
            value = rng.uniform(lo, hi)
            if key == "blur":
                img = cv2.GaussianBlur(img, (0, 0), value, borderType=cv2.BORDER_REFLECT)
            elif key == "noise":
                img = img + rng.normal(0.0, value / 255.0, img.shape).astype(np.float32)
            elif key == "jpeg":
                img = jpeg(to_u8(img), round(value)).astype(np.float32) / 255.0
            else:  # h264 / h265 at a CRF
                codec = "libx264" if key == "h264" else "libx265"
                img = codec_round_trip(to_u8(img), codec, round(value), "medium", rng).astype(np.float32) / 255.0
        return to_u8(img)


def parse_spec(text: str) -> EvalDegradation:
    """'mild' | 'h264' | 'camera', or a comma list of KEY=V or KEY=LO-HI (blur sigma, noise sigma
    in levels, jpeg quality, h264/h265 CRF) and seed=N, applied in the order given."""
    spec = PRESETS.get(text.strip().lower(), text)
    steps, seed = [], 0
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in SPEC_KEYS or not value:
            raise VgxError(f"--degrade {text!r}: {part!r} is not KEY=VALUE with KEY one of {', '.join(SPEC_KEYS)} "
                           f"(or a preset: {', '.join(PRESETS)})")
        try:
            lo, _, hi = value.partition("-")
            rng = (float(lo), float(hi or lo))
        except ValueError:
            raise VgxError(f"--degrade {text!r}: {value!r} is not a number or a LO-HI range") from None
        if key == "seed":
            seed = int(rng[0])
            continue
        bounds = {"blur": (0.1, 10), "noise": (0, 100), "jpeg": (1, 100), "h264": (0, 51), "h265": (0, 51)}[key]
        if not (bounds[0] <= rng[0] <= rng[1] <= bounds[1]):
            raise VgxError(f"--degrade {text!r}: {key} must be within {bounds[0]:g}..{bounds[1]:g} (LO <= HI)")
        steps.append((key, rng))
    if not steps:
        raise VgxError(f"--degrade {text!r} names no degradation")
    return EvalDegradation(text, tuple(steps), seed)
