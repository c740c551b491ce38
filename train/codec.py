"""A real video-codec round trip for one image: H.264 / H.265 through PyAV (FFmpeg's libx264
and libx265), on a short clip with random camera motion made from the image.

Inter-frame coding is what makes stream artefacts look as they do (smeared texture, blocks
that move, ringing along edges), so the image is not encoded alone: it is the last frame
of a clip whose earlier frames are the same image shifted along a random smooth path, so
it arrives as a predicted (P/B) frame the way a camera frame does.
"""

from __future__ import annotations

import io

import av
import cv2
import numpy as np

from vgx.errors import VgxError


def motion_clip(img: np.ndarray, frames: int, rng: np.random.Generator, max_speed: float = 3.0) -> list[np.ndarray]:
    """`frames` shifted copies of `img` ending on the image itself (sub-pixel, reflect borders)."""
    v = rng.uniform(-max_speed, max_speed, 2)
    h, w = img.shape[:2]
    out = []
    for t in range(frames - 1, -1, -1):
        m = np.float32([[1, 0, v[0] * t], [0, 1, v[1] * t]])
        out.append(img if t == 0 else cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    return out


def codec_round_trip(img: np.ndarray, codec: str, crf: int, preset: str, rng: np.random.Generator,
                     frames: int = 6) -> np.ndarray:
    """uint8 RGB -> the same image after encoding a motion clip at `crf` and decoding it."""
    h, w = img.shape[:2]
    # the clip moves over the padded image (as it always has: the same bits as the figures made with it)
    return encode_decode(motion_clip(_padded(img, codec), frames, rng), codec, crf, preset)[-1][:h, :w]


def _padded(img: np.ndarray, codec: str) -> np.ndarray:
    """Whole 16x16 macroblocks and at least 64 px (smaller or odd sizes crashed libx265 in testing),
    padded by replicating the border. libx265 gets at least 128: on a frame of one 64 px coding tree
    it gave different bits run to run for some patches (3 in 40 training crops; threads=1 throughout)."""
    h, w = img.shape[:2]
    least = 128 if codec == "libx265" else 64
    ph, pw = max(least, -(-h // 16) * 16), max(least, -(-w // 16) * 16)
    return cv2.copyMakeBorder(img, 0, ph - h, 0, pw - w, cv2.BORDER_REPLICATE) if (ph, pw) != (h, w) else img


def encode_decode(clip: list[np.ndarray], codec: str, crf: int, preset: str) -> list[np.ndarray]:
    """uint8 RGB frames of one size -> the same frames after one encode and decode, as a stream has them."""
    h, w = clip[0].shape[:2]
    clip = [_padded(f, codec) for f in clip]
    ph, pw = clip[0].shape[:2]
    buf = io.BytesIO()
    try:
        with av.open(buf, "w", format="matroska") as container:
            stream = container.add_stream(codec, rate=25)
            stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
            opts = {"crf": str(crf), "preset": preset, "threads": "1"}  # one thread: the same bits every run
            if codec == "libx264":  # x264's macroblock tree gave different bits run to run (threads=1 too)
                opts["x264-params"] = "mbtree=0"
            if codec == "libx265":
                opts["x265-params"] = "log-level=none:pools=1:frame-threads=1"
            stream.options = opts
            for frame in clip:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
            container.mux(stream.encode(None))
        buf.seek(0)
        with av.open(buf, "r") as container:
            decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except (av.FFmpegError, ValueError) as e:
        raise VgxError(f"{codec} round trip failed: {e}") from None
    if len(decoded) != len(clip):
        raise VgxError(f"{codec} round trip returned {len(decoded)} of {len(clip)} frames")
    return [np.ascontiguousarray(f[:h, :w]) for f in decoded]
