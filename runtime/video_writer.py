"""H.264 MP4 that browsers and phones play, written with PyAV (OpenCV's pip wheels cannot
encode H.264); mp4v through OpenCV only as a fallback, said out loud. The audio track of
a file input is copied over when the stream closes. Frames go to a temp file renamed at
the end, so an interrupted write never leaves a file under the name that looks complete.
MP4s are fragmented (a keyframe and a fragment every 2 s): when the disk fills mid-stream,
the fragments written so far are a valid, playable file, kept under the name and said so.
"""

from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vgx.errors import VgxError


def trim_to_whole_fragments(path: Path) -> bool:
    """Cut a fragmented MP4 after its last complete fragment (a write cut off mid-fragment
    leaves a torn box at the end). True when at least one fragment of frames remains."""
    import struct

    size, end, good, frames = path.stat().st_size, 0, 0, False
    with open(path, "rb") as f:
        while end + 8 <= size:
            f.seek(end)
            length, kind = struct.unpack(">I4s", f.read(8))
            if length == 1:  # 64-bit size follows
                length = struct.unpack(">Q", f.read(8))[0]
            if length < 8 or end + length > size:
                break
            end += length
            if kind != b"moof":  # a moof counts only with the mdat after it
                good, frames = end, frames or kind == b"mdat"
    if frames:
        os.truncate(path, good)
    return frames


class VideoWriter:
    def __init__(self, path: Path, width: int, height: int, fps: float, audio_from: Path | None = None) -> None:
        self.path, self.audio_from = path, audio_from
        self.tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
        self.width, self.height = width - width % 2, height - height % 2  # yuv420p needs even sizes
        self.fps = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self.frames = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise VgxError(f"cannot create {path.parent}: {e.strerror or e}") from None
        self.container: Any = None
        self.cv_writer: cv2.VideoWriter | None = None
        try:
            import av

            self.container = av.open(str(self.tmp), "w", options=self._container_options())
            self.stream = self.container.add_stream("libx264", rate=self.fps)
            self.stream.width, self.stream.height, self.stream.pix_fmt = self.width, self.height, "yuv420p"
            self.stream.options = {"preset": "veryfast", "crf": "18", "g": str(max(1, round(2 * float(self.fps))))}
            self.av = av
        except Exception as e:  # noqa: BLE001 - no PyAV or no libx264: fall back, and say so
            if self.container is not None:
                self.container.close()
            print(f"vgx: warning: H.264 unavailable ({e}); writing mp4v, which browsers may not play", file=sys.stderr)
            self.cv_writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter.fourcc(*"mp4v"), float(self.fps),
                                             (self.width, self.height))
            if not self.cv_writer.isOpened():
                raise VgxError(f"cannot write video {path}") from None

    def write(self, bgr: np.ndarray) -> None:
        bgr = bgr[: self.height, : self.width]
        if self.cv_writer is not None:
            self.cv_writer.write(np.ascontiguousarray(bgr))
        else:
            frame = self.av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr), format="bgr24")
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
        self.frames += 1

    def _container_options(self) -> dict[str, str]:
        return {"movflags": "frag_keyframe+empty_moov+default_base_moof"} if self.path.suffix.lower() in (
            ".mp4", ".mov") else {}

    def close(self) -> None:
        try:
            if self.cv_writer is not None:
                self.cv_writer.release()
            elif self.container is not None:
                for packet in self.stream.encode():
                    self.container.mux(packet)
                self.container.close()
                self.container = None
                if self.audio_from is not None and self.frames:
                    self._add_audio()
        except Exception as e:  # noqa: BLE001 - disk full, I/O error: keep what is valid, then say so
            kept = self._keep_partial()
            raise VgxError(f"writing {self.path} failed ({e}); "
                           + ("the part written before it is kept, playable" if kept else "nothing kept")) from None
        if self.frames:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)

    def _keep_partial(self) -> bool:
        """After a failed write: the fragments already on disk are a valid MP4; keep them."""
        try:
            if self.container is not None:
                self.container.close()
        except Exception:  # noqa: BLE001 - the trailer cannot be written either; fragments stand alone
            pass
        self.container = None
        if self.cv_writer is None and self.tmp.exists() and self._container_options() and trim_to_whole_fragments(self.tmp):
            os.replace(self.tmp, self.path)
            return True
        self.tmp.unlink(missing_ok=True)
        return False

    def _add_audio(self) -> None:
        """Remux the video with the input's audio packets (no re-encode of either)."""
        av = self.av
        try:
            src = av.open(str(self.audio_from))
        except Exception:  # noqa: BLE001 - unreadable input: keep the silent video
            return
        with src:
            audio = [s for s in src.streams if s.type == "audio"]
            if not audio:
                return
            mixed = self.tmp.with_name(self.tmp.name + ".av" + self.tmp.suffix)
            with av.open(str(self.tmp)) as video, av.open(str(mixed), "w", options=self._container_options()) as out:
                v_out = out.add_stream_from_template(video.streams.video[0])
                a_out = out.add_stream_from_template(audio[0])
                for packet in video.demux(video.streams.video[0]):
                    if packet.dts is not None:
                        packet.stream = v_out
                        out.mux(packet)
                for packet in src.demux(audio[0]):
                    if packet.dts is not None:
                        packet.stream = a_out
                        out.mux(packet)
            os.replace(mixed, self.tmp)
