"""Image conventions shared by every stage: uint8 RGB HxWx3 arrays on the host.

Models see float32 RGB in [0, 1], NCHW; vgx.convert is the one place that converts.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from vgx.errors import VgxError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly in `folder` (or below it), sorted; a clear error when none."""
    root = Path(folder)
    if not root.exists():
        raise VgxError(f"folder not found: {root}")
    if not root.is_dir():
        raise VgxError(f"not a folder: {root}")
    # os.walk follows symlinked folders (a data split made of links), which Path.rglob does not
    files = sorted(Path(d) / f for d, _, names in os.walk(root, followlinks=True) for f in names
                   if Path(f).suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise VgxError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root}")
    return files


def max_pixels() -> int:
    """Largest image vgx decodes (VGX_MAX_PIXELS, default 64 MP): a 12000x12000 PNG is a few kB
    on disk and 432 MB decoded, so size is checked from the header before decoding."""
    try:
        return int(os.environ.get("VGX_MAX_PIXELS", 64_000_000))
    except ValueError:
        raise VgxError("VGX_MAX_PIXELS must be a whole number of pixels") from None


def load_rgb(path: str | Path) -> np.ndarray:
    """Read any common image as uint8 RGB (grey, alpha, 16-bit, palette and CMYK converted)."""
    import cv2

    p = Path(path)
    if not p.is_file():
        raise VgxError(f"image not found: {p}" if not p.exists() else f"not a file: {p}")
    try:
        data = np.fromfile(p, dtype=np.uint8)
    except OSError as e:
        raise VgxError(f"cannot read image {p}: {e.strerror or e}") from None
    _check_pixels(p)
    try:
        bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except cv2.error:  # a header OpenCV refuses outright (e.g. a width past its limit): found by fuzzing
        bgr = None
    if bgr is None:
        raise VgxError(f"not a readable image: {p}")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def _check_pixels(p: Path) -> None:
    from PIL import Image

    limit = max_pixels()
    try:
        with warnings.catch_warnings():  # Pillow's own bomb warning: vgx says it in its words below
            warnings.simplefilter("ignore")
            with Image.open(p) as img:  # reads the header only
                w, h = img.size
        size = f"{w}x{h} ({w * h / 1e6:.0f} megapixels)"
        too_big = w * h > limit
    except Image.DecompressionBombError:  # Pillow refuses over 2x its own limit without telling the size
        bomb = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        size, too_big = f"over {bomb / 1e6:.0f} megapixels", limit < bomb
    except Exception:  # noqa: BLE001 - not something Pillow knows; OpenCV decides below
        return
    if too_big:
        raise VgxError(f"{p} is {size}, above the {limit / 1e6:.0f} megapixel limit; crop it, or raise "
                       "VGX_MAX_PIXELS if you have the memory")


def save_rgb(path: str | Path, rgb: np.ndarray) -> Path:
    """Write uint8 RGB atomically (temp file + rename), creating parent folders."""
    import cv2

    from vgx.atomic import atomic_path

    p = Path(path)
    ok, buf = cv2.imencode(p.suffix or ".png", np.ascontiguousarray(rgb[:, :, ::-1]))
    if not ok:
        raise VgxError(f"cannot encode image as {p.suffix}: {p}")
    try:
        with atomic_path(p) as tmp:
            buf.tofile(tmp)
    except OSError as e:
        raise VgxError(f"cannot write {p}: {e.strerror or e}") from None
    return p


def center_square(rgb: np.ndarray, size: int) -> np.ndarray:
    """The centred square crop of an image, resized to size x size (area interpolation)."""
    import cv2

    h, w = rgb.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    return cv2.resize(rgb[y : y + side, x : x + side], (size, size), interpolation=cv2.INTER_AREA)


def mod_crop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop H and W down to multiples of `scale` (the SR evaluation protocol)."""
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def bicubic_resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Antialiased bicubic resize to (W, H), Pillow's BICUBIC (a=-0.5, as MATLAB imresize).

    This is how LR images are made for training and evaluation, and the bicubic baseline.
    """
    from PIL import Image

    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC))


def downscale(rgb: np.ndarray, scale: int) -> np.ndarray:
    """LR image of a (mod-cropped) HR image: antialiased bicubic by 1/scale."""
    h, w = rgb.shape[:2]
    return bicubic_resize(rgb, (w // scale, h // scale))


def demo_images() -> dict[str, np.ndarray]:
    """Built-in images that a pip dependency ships (scikit-image), so demos need no download."""
    from skimage import data

    return {"astronaut": data.astronaut(), "chelsea": data.chelsea(), "coffee": data.coffee(), "rocket": data.rocket()}


def side_by_side(images: list[np.ndarray], gap: int = 4) -> np.ndarray:
    """Tile same-height uint8 RGB images left to right with a white gap."""
    h = max(i.shape[0] for i in images)
    parts: list[np.ndarray] = []
    for i, img in enumerate(images):
        if i:
            parts.append(np.full((h, gap, 3), 255, np.uint8))
        pad = np.full((h, img.shape[1], 3), 255, np.uint8)
        pad[: img.shape[0]] = img
        parts.append(pad)
    return np.concatenate(parts, axis=1)


def caption(image: np.ndarray, labels: list[str], widths: list[int], gap: int = 4, height: int = 22) -> np.ndarray:
    """`image` with a white strip on top naming its side-by-side panels."""
    import cv2

    strip = np.full((height, image.shape[1], 3), 255, np.uint8)
    x = 0
    for label, w in zip(labels, widths):
        (text_w, _), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        scale = 0.5 * min(1.0, max(w - 8, 1) / max(text_w, 1))  # a long name shrinks to its panel, not into the next
        cv2.putText(strip, label, (x + 4, height - 7), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
        x += w + gap
    return np.concatenate([strip, image])


def parse_size(text: str, multiple_of: int = 1) -> tuple[int, int]:
    """'640x360' -> (W, H), checked against the model's multiple_of."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise VgxError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 640x360") from None
    if w <= 0 or h <= 0:
        raise VgxError(f"size {text!r} must be positive")
    if w % multiple_of or h % multiple_of:
        raise VgxError(f"size {text} is not a multiple of {multiple_of} (the model's multiple_of)")
    return w, h
