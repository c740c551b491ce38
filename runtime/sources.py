"""Frame sources behind one factory, `open_source(uri)`, as jetson-utils' videoSource.

`capture(timeout)` returns a Frame, or None when nothing came in time; `eos` says the
stream has ended. `live` sources (cameras, network) default to the live policy (newest
frame wins); files and folders to lossless (every frame, in order).
"""

from __future__ import annotations

import glob
import time
from pathlib import Path

import cv2
import numpy as np

from vgx.errors import VgxError
from vgx.images import IMAGE_SUFFIXES, demo_images, list_images, load_rgb

from .frames import Frame
from .uri import Uri, parse

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".flv", ".wmv")


class Source:
    live = False
    fps = 30.0
    path: Path | None = None  # a file the stream came from (its audio track can be kept)
    total: int | None = None  # frames, when known (progress bars)

    def __init__(self) -> None:
        self.eos = False
        self.count = 0
        self.errors = 0  # frames that failed to decode, skipped
        self.failed: list[str] = []  # names of what failed, where known (image files)

    def capture(self, timeout: float = 1.0) -> Frame | None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def _frame(self, image: np.ndarray, name: str = "") -> Frame:
        self.count += 1
        return Frame(image, self.count - 1, name)


class DemoSource(Source):
    """A moving scene panned across scikit-image's bundled photos: no camera, no download."""

    def __init__(self, size: tuple[int, int] = (640, 360), frames: int = 300, fps: float = 30.0, live: bool = False) -> None:
        super().__init__()
        w, h = size
        height = max(h + 64, 512)
        strips = [cv2.resize(img[:, :, ::-1], (int(img.shape[1] * height / img.shape[0]), height),
                             interpolation=cv2.INTER_AREA) for img in demo_images().values()]
        self.canvas = np.concatenate(strips + strips[:1], axis=1)  # wraps around seamlessly
        self.size, self.frames, self.fps, self.live = (w, h), frames, fps, live
        self.total = frames
        self.period = self.canvas.shape[1] - strips[0].shape[1]
        self.next_t = time.perf_counter()

    def capture(self, timeout: float = 1.0) -> Frame | None:
        if self.count >= self.frames:
            self.eos = True
            return None
        if self.live:  # pace like a camera
            self.next_t += 1.0 / self.fps
            time.sleep(max(0.0, self.next_t - time.perf_counter()))
        w, h = self.size
        i = self.count
        x = int(i * 6) % self.period
        y = int((self.canvas.shape[0] - h) * (0.5 + 0.45 * np.sin(i / 40.0)))
        return self._frame(np.ascontiguousarray(self.canvas[y : y + h, x : x + w]))


NETWORK_TIMEOUT_MS = 10_000


class VideoSource(Source):
    """A video file, a camera, a GStreamer pipeline or a network stream, through OpenCV."""

    def __init__(self, target: str | int, label: str, live: bool, api: int = cv2.CAP_ANY, reconnect: bool = False,
                 size: tuple[int, int] | None = None, fps: float | None = None) -> None:
        super().__init__()
        self.target, self.label, self.live, self.api, self.reconnect = target, label, live, api, reconnect
        self.size_wanted, self.fps_wanted = size, fps
        self.gaps = 0
        self.cap = self._open()
        if not self.cap.isOpened():
            why = (f"unreachable, refused or silent for {NETWORK_TIMEOUT_MS // 1000} s" if reconnect
                   else "no such device or busy" if live else "empty, truncated or not a video")
            raise VgxError(f"cannot open {label}: {why}")
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 30.0
        if not live:
            self.total = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
            ok, first = self.cap.read()
            if not ok or first is None:
                raise VgxError(f"{label} has no decodable video frames (empty, truncated or not a video)")
            self.first: np.ndarray | None = first

    def _open(self) -> cv2.VideoCapture:
        if self.reconnect:  # network: bounded waits, so a dead host is an error or a gap, not a hang
            cap = cv2.VideoCapture(self.target, self.api, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS,
                                                           cv2.CAP_PROP_READ_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS])
        else:
            cap = cv2.VideoCapture(self.target, self.api)
        if isinstance(self.target, int) and cap.isOpened():  # webcams: MJPG lifts YUYV's FPS cap
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            if self.size_wanted:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size_wanted[0])
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size_wanted[1])
            if self.fps_wanted:
                cap.set(cv2.CAP_PROP_FPS, self.fps_wanted)
        return cap

    def capture(self, timeout: float = 1.0) -> Frame | None:
        if self.eos:
            return None
        if getattr(self, "first", None) is not None:
            image, self.first = self.first, None
            return self._frame(image)
        ok, image = self.cap.read()
        if ok and image is not None:
            return self._frame(image)
        if not self.reconnect:
            self.eos = True
            return None
        self._reconnect(timeout)
        return None

    def _reconnect(self, timeout: float) -> None:
        """Network streams drop: back off (0.5 s doubling to 8 s) and reopen; count the gap."""
        self.gaps += 1
        delay = min(8.0, 0.5 * 2 ** min(self.gaps - 1, 4))
        time.sleep(min(delay, timeout))
        self.cap.release()
        self.cap = self._open()
        if self.cap.isOpened():
            self.gaps = 0

    def close(self) -> None:
        self.cap.release()


class ImageFolderSource(Source):
    """Every image of a folder (or glob), in name order; unreadable ones skipped and counted."""

    def __init__(self, files: list[Path]) -> None:
        super().__init__()
        self.files = files
        self.pos = 0
        self.total = len(files)

    def capture(self, timeout: float = 1.0) -> Frame | None:
        while self.pos < len(self.files):
            f = self.files[self.pos]
            self.pos += 1
            try:
                return self._frame(np.ascontiguousarray(load_rgb(f)[:, :, ::-1]), f.name)
            except VgxError:
                self.errors += 1
                self.failed.append(f.name)
        self.eos = True
        return None


def _has_gstreamer() -> bool:
    info = cv2.getBuildInformation()
    return any("GStreamer" in line and "YES" in line for line in info.splitlines())


def open_source(text: str, size: tuple[int, int] | None = None, fps: float | None = None, frames: int | None = None) -> Source:
    uri: Uri = parse(text)
    if uri.scheme == "demo":
        w, h = size or (int(uri.options.get("width", 640)), int(uri.options.get("height", 360)))
        return DemoSource((w, h), frames or int(uri.options.get("frames", 300)), fps or 30.0,
                          live=uri.options.get("live", "0") == "1")
    if uri.scheme == "camera":
        try:
            index = int(uri.location or "0")
        except ValueError:
            raise VgxError(f"camera index must be a number: {text!r}") from None
        try:
            return VideoSource(index, f"camera {index} (no such camera?)", live=True, api=cv2.CAP_V4L2, size=size, fps=fps)
        except VgxError:
            raise VgxError(f"camera {index} not found or busy; list cameras with `ls /dev/video*`") from None
    if uri.scheme in ("csi", "gst"):
        if not _has_gstreamer():
            raise VgxError(f"{uri.scheme}:// needs OpenCV built with GStreamer (as on JetPack); this OpenCV has none")
        pipeline = uri.location if uri.scheme == "gst" else _csi_pipeline(int(uri.location or 0), size, fps)
        return VideoSource(pipeline, f"GStreamer pipeline {pipeline!r}", live=True, api=cv2.CAP_GSTREAMER)
    if uri.scheme in ("rtsp", "rtsps", "http", "https"):
        return VideoSource(str(uri), f"stream {uri}", live=True, api=cv2.CAP_FFMPEG, reconnect=True)
    return _open_path(uri.location)


def _open_path(location: str) -> Source:
    if any(c in location for c in "*?["):
        files = sorted(Path(p) for p in glob.glob(location) if Path(p).suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise VgxError(f"no images match {location!r}")
        return ImageFolderSource(files)
    path = Path(location)
    if path.is_dir():
        return ImageFolderSource(list_images(path))
    if not path.exists():
        raise VgxError(f"input not found: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFolderSource([path])
    src = VideoSource(str(path), f"video {path}", live=False, api=cv2.CAP_FFMPEG)
    src.path = path
    return src


def _csi_pipeline(sensor: int, size: tuple[int, int] | None, fps: float | None) -> str:
    w, h = size or (1280, 720)
    return (f"nvarguscamerasrc sensor-id={sensor} ! video/x-raw(memory:NVMM),width={w},height={h},"
            f"framerate={int(fps or 30)}/1 ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! "
            "video/x-raw,format=BGR ! appsink drop=true max-buffers=1")
