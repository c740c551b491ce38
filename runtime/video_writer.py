"""H.264 MP4 that browsers and phones play, written with PyAV (OpenCV's pip wheels cannot
encode H.264); mp4v through OpenCV only as a fallback, said out loud. The audio track of
a file input is copied over when the stream closes. Frames go to a temp file renamed at
the end, so an interrupted or failed write never leaves a broken file under the name.
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

            self.container = av.open(str(self.tmp), "w")
            self.stream = self.container.add_stream("libx264", rate=self.fps)
            self.stream.width, self.stream.height, self.stream.pix_fmt = self.width, self.height, "yuv420p"
            self.stream.options = {"preset": "veryfast", "crf": "18"}
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

    def close(self) -> None:
        if self.cv_writer is not None:
            self.cv_writer.release()
        elif self.container is not None:
            for packet in self.stream.encode():
                self.container.mux(packet)
            self.container.close()
            self.container = None
            if self.audio_from is not None and self.frames:
                self._add_audio()
        if self.frames:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)

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
            with av.open(str(self.tmp)) as video, av.open(str(mixed), "w") as out:
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
