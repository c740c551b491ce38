"""Real sources and sinks: H.264 files written and read back, folders, MJPEG over HTTP."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import read_frames, write_video
from vgx.errors import VgxError
from vgx.images import save_rgb
from vgx.runtime.frames import Frame
from vgx.runtime.mjpeg import MjpegServer
from vgx.runtime.sinks import open_sink
from vgx.runtime.sources import open_source
from vgx.runtime.video_writer import VideoWriter


def test_h264_file_round_trip(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", frames=15, size=(96, 64))
    frames = read_frames(path)
    assert len(frames) == 15 and frames[0].shape == (64, 96, 3)
    import av

    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    assert not list(tmp_path.glob(".*partial*"))  # the temp file was renamed into place


def test_video_source_reads_every_frame_lossless(tmp_path: Path) -> None:
    src = open_source(str(write_video(tmp_path / "c.mp4", frames=9)))
    assert not src.live
    got = []
    while (f := src.capture()) is not None:
        got.append(f)
    assert len(got) == 9 and src.eos and [f.index for f in got] == list(range(9))


def test_audio_track_is_kept(tmp_path: Path, shared_data: Path) -> None:
    """A file-to-file stream keeps the input's audio (realshort has AAC audio)."""
    import av

    clip = shared_data / "video" / "imageio_realshort.mp4"
    out = tmp_path / "o.mp4"
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    writer = VideoWriter(out, frame.shape[1], frame.shape[0], 25.0, audio_from=clip)
    for _ in range(10):
        writer.write(frame)
    writer.close()
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
    assert len(read_frames(out)) == 10


@pytest.mark.parametrize("case", ["zero", "text", "truncated"])
def test_broken_videos_are_refused(tmp_path: Path, case: str) -> None:
    bad = tmp_path / "bad.mp4"
    if case == "zero":
        bad.write_bytes(b"")
    elif case == "text":
        bad.write_text("not a video at all\n" * 50)
    else:
        good = write_video(tmp_path / "good.mp4", frames=10).read_bytes()
        bad.write_bytes(good[:300])
    with pytest.raises(VgxError, match="no decodable video frames|cannot open"):
        open_source(str(bad))


def test_folder_source_and_sink_keep_names(tmp_path: Path) -> None:
    src_dir, out_dir = tmp_path / "in", tmp_path / "out"
    img = np.full((20, 30, 3), 128, np.uint8)
    for name in ("b.png", "a.jpg"):
        save_rgb(src_dir / name, img)
    (src_dir / "junk.png").write_text("not an image")
    src = open_source(str(src_dir))
    sink = open_sink(str(out_dir))
    while (f := src.capture()) is not None:
        sink.write(f.image, f)
    assert src.errors == 1  # junk.png skipped and counted
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.png", "b.png"]


def test_bad_inputs_and_outputs(tmp_path: Path) -> None:
    with pytest.raises(VgxError, match="no images"):
        open_source(str(tmp_path))
    with pytest.raises(VgxError, match="input not found"):
        open_source(str(tmp_path / "nope.mp4"))
    with pytest.raises(VgxError, match="camera 97 not found"):
        open_source("camera://97")
    with pytest.raises(VgxError, match="unknown scheme"):
        open_source("smb://share/x")
    with pytest.raises(VgxError, match="names an image"):
        open_sink(str(tmp_path / "out.png"))
    with pytest.raises(VgxError, match="GStreamer|cannot open"):
        open_source("csi://0")


def test_demo_source_moves() -> None:
    src = open_source("demo://?frames=5&width=160&height=90")
    frames = [src.capture() for _ in range(5)]
    assert all(f is not None and f.image.shape == (90, 160, 3) for f in frames)
    assert not np.array_equal(frames[0].image, frames[4].image)
    assert src.capture() is None and src.eos


def _read_mjpeg_frames(url: str, count: int) -> list[np.ndarray]:
    frames = []
    with urllib.request.urlopen(url, timeout=10) as r:
        assert "multipart/x-mixed-replace" in r.headers["Content-Type"]
        while len(frames) < count:
            line = r.readline()
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":")[1])
                r.readline()
                frames.append(cv2.imdecode(np.frombuffer(r.read(n), np.uint8), cv2.IMREAD_COLOR))
    return frames


def test_mjpeg_server_serves_page_and_several_clients() -> None:
    import threading

    server = MjpegServer("127.0.0.1", 0)
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert b"<img" in urllib.request.urlopen(base + "/", timeout=5).read()
        stop = threading.Event()

        def feed() -> None:
            i = 0
            while not stop.is_set():
                img = np.full((48, 64, 3), (i * 20) % 255, np.uint8)
                server.write(img, Frame(img, i))
                i += 1
                stop.wait(0.02)

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        results: dict[int, list[np.ndarray]] = {}
        clients = [threading.Thread(target=lambda k=k: results.__setitem__(k, _read_mjpeg_frames(base + "/stream", 3)))
                   for k in range(3)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(15)
        stop.set()
        assert sorted(results) == [0, 1, 2]
        assert all(len(v) == 3 and v[0].shape == (48, 64, 3) for v in results.values())
    finally:
        server.close()


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(VgxError, match=f"port {port} on 127.0.0.1 is in use"):
            MjpegServer("127.0.0.1", port)


class _Feeder:
    """An MJPEG server on loopback fed with numbered grey frames (a stand-in IP camera)."""

    def __init__(self, port: int = 0) -> None:
        import threading

        self.server = MjpegServer("127.0.0.1", port)
        self.port = self.server.port
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        i = 0
        while not self.stop.is_set():
            img = np.full((48, 64, 3), (i * 10) % 255, np.uint8)
            self.server.write(img, Frame(img, i))
            i += 1
            self.stop.wait(0.02)

    def close(self) -> None:
        self.stop.set()
        self.server.close()


def _grab(src, n: int, seconds: float) -> int:
    import time

    got, deadline = 0, time.time() + seconds
    while got < n and time.time() < deadline:
        if src.capture(timeout=0.5) is not None:
            got += 1
    return got


def test_network_source_reads_and_reconnects_after_a_drop() -> None:
    feeder = _Feeder()
    port = feeder.port
    src = open_source(f"http://127.0.0.1:{port}/stream")
    try:
        assert src.live and _grab(src, 5, 10) == 5
        feeder.close()  # the camera goes away
        assert _grab(src, 1, 2) == 0 and src.gaps > 0 and not src.eos
        feeder = _Feeder(port)  # and comes back on the same address
        assert _grab(src, 5, 20) == 5
        assert src.gaps == 0
    finally:
        feeder.close()
        src.close()


def _raw_request(port: int, data: bytes, timeout: float = 15.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_mjpeg_server_bounds_hostile_requests(monkeypatch) -> None:
    from vgx.runtime import mjpeg

    monkeypatch.setattr(mjpeg, "CLIENT_TIMEOUT_S", 1.0)
    monkeypatch.setattr(mjpeg, "MAX_CLIENTS", 2)
    server = MjpegServer("127.0.0.1", 0)
    try:
        assert server.host == "127.0.0.1"  # localhost unless told otherwise
        p = server.port
        assert _raw_request(p, b"GET /" + b"a" * 70_000 + b" HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 414")
        many = b"".join(f"X-H{i}: v\r\n".encode() for i in range(150))
        assert _raw_request(p, b"GET / HTTP/1.0\r\n" + many + b"\r\n").startswith(b"HTTP/1.0 431")
        assert _raw_request(p, b"POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello").startswith(b"HTTP/1.0 501")
        assert _raw_request(p, b"GET /../../etc/passwd HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 404")
        # two silent clients hold both slots; a third is turned away, then they time out and free them
        silent = [socket.create_connection(("127.0.0.1", p)) for _ in range(2)]
        time.sleep(0.2)
        assert _raw_request(p, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 503")
        time.sleep(1.5)
        assert _raw_request(p, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 200")
        for s in silent:
            s.close()
    finally:
        server.close()
