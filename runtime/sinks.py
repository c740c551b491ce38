"""Frame sinks behind one factory, `open_sink(uri)`: video file, image folder, MJPEG over
HTTP, an OpenCV window, or nothing. Several at once; a failing sink is reported and closed
while the others go on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vgx.errors import VgxError
from vgx.images import IMAGE_SUFFIXES

from .frames import Frame
from .uri import OUTPUT_SCHEMES, host_port, parse
from .video_writer import VideoWriter


class Sink:
    name = "sink"

    def write(self, image: np.ndarray, frame: Frame) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def discard(self) -> None:
        """Undo what opening the sink left behind when no frame was written (most sinks: nothing)."""


class NullSink(Sink):
    name = "null://"

    def write(self, image: np.ndarray, frame: Frame) -> None:
        pass


class VideoFileSink(Sink):
    def __init__(self, path: Path, fps: float, audio_from: Path | None = None) -> None:
        self.path, self.fps, self.audio_from = path, fps, audio_from
        self.name = str(path)
        self.writer: VideoWriter | None = None

    def write(self, image: np.ndarray, frame: Frame) -> None:
        if self.writer is None:  # sized by the first frame
            self.writer = VideoWriter(self.path, image.shape[1], image.shape[0], self.fps, self.audio_from)
        self.writer.write(image)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class ImageFolderSink(Sink):
    """One image per input frame, same file name as the input (frame_000001.png for video)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = f"{folder}/"
        self.created = not folder.exists()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise VgxError(f"cannot create output folder {folder}: {e.strerror or e}") from None

    def write(self, image: np.ndarray, frame: Frame) -> None:
        from vgx.images import save_rgb

        name = Path(frame.name).stem + ".png" if frame.name else f"frame_{frame.index:06d}.png"
        save_rgb(self.folder / name, image[:, :, ::-1])

    def discard(self) -> None:
        """A run that wrote nothing leaves no folder behind (one it made, and only while empty)."""
        if self.created and self.folder.is_dir() and not any(self.folder.iterdir()):
            self.folder.rmdir()


class DisplaySink(Sink):
    """An OpenCV window. Keys: q quits, s toggles the before/after split, m switches model."""

    name = "display://"

    def __init__(self) -> None:
        try:
            cv2.namedWindow("vgx", cv2.WINDOW_NORMAL)
        except cv2.error:
            raise VgxError("display:// needs OpenCV with a GUI (pip install opencv-python, not -headless) "
                           "and a screen; use --output http://127.0.0.1:8090 to watch in a browser") from None
        self.split = False
        self.quit = False
        self.switch = False  # read (and cleared) by the pipeline

    def write(self, image: np.ndarray, frame: Frame) -> None:
        from .enhancer import side_by_side

        shown = side_by_side(frame.source_image, image) if self.split and frame.source_image is not None else image
        cv2.imshow("vgx", shown)
        key = cv2.waitKey(1) & 0xFF
        if key == ord("q"):
            self.quit = True
        elif key == ord("s"):
            self.split = not self.split
        elif key == ord("m"):
            self.switch = True

    def close(self) -> None:
        cv2.destroyAllWindows()


def output_kind(text: str) -> tuple[str, Any]:
    """What an --output names, checked without opening anything (so a typo fails before a
    model loads): ("null" | "display" | "http" | "video" | "folder", host-port or path)."""
    uri = parse(text, OUTPUT_SCHEMES)
    if uri.scheme in ("null", "display"):
        return uri.scheme, None
    if uri.scheme == "http":
        return "http", host_port(uri.location)
    path = Path(uri.location)
    if path.suffix.lower() in (".mp4", ".mkv", ".mov", ".avi"):
        return "video", path
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise VgxError(f"--output {path} names an image; give a folder for images or a .mp4 for video")
    if path.suffix:
        raise VgxError(f"unknown output type {path.suffix!r}: use a .mp4/.mkv file, a folder, http://HOST:PORT or null://")
    return "folder", path


def open_sink(text: str, fps: float = 30.0, audio_from: Path | None = None, bind: str | None = None) -> Sink:
    kind, where = output_kind(text)
    if kind == "null":
        return NullSink()
    if kind == "display":
        return DisplaySink()
    if kind == "http":
        from .mjpeg import MjpegServer

        return MjpegServer(bind or where[0], where[1])
    if kind == "video":
        return VideoFileSink(where, fps, audio_from)
    return ImageFolderSink(where)
