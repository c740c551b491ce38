"""MJPEG over HTTP: a tiny page a browser shows, several clients at once.

Bound to 127.0.0.1 unless told otherwise. Every client gets the newest frame when it is
ready for one: a slow client skips frames instead of queueing them, so memory stays flat.
Bounds, for a port on a network: GET only (others 501); request line 64 KiB (414) and 100
headers (431) as http.server enforces; 10 s to send a request or take a frame, then the
client is dropped; at most MAX_CLIENTS at once (503 beyond), so threads stay bounded.
"""

from __future__ import annotations

import contextlib
import errno
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

from vgx.errors import VgxError

from .frames import Frame

PAGE = b"""<!doctype html><html><head><title>vgx stream</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px sans-serif}img{display:block;margin:auto;max-width:100%}</style>
</head><body><img src="/stream" alt="vgx stream"><p style="text-align:center">vgx &middot; MJPEG</p></body></html>"""
BOUNDARY = b"vgxframe"
MAX_CLIENTS = 32
CLIENT_TIMEOUT_S = 10.0


class _Latest:
    """The newest JPEG and its sequence number; clients wait on the condition."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.jpeg = b""
        self.seq = 0
        self.closed = False

    def put(self, jpeg: bytes) -> None:
        with self.cond:
            self.jpeg, self.seq = jpeg, self.seq + 1
            self.cond.notify_all()

    def wait_newer(self, seq: int, timeout: float = 5.0) -> tuple[bytes, int]:
        with self.cond:
            self.cond.wait_for(lambda: self.seq > seq or self.closed, timeout)
            return self.jpeg, self.seq


def _handler(latest: _Latest) -> type[BaseHTTPRequestHandler]:
    slots = threading.BoundedSemaphore(MAX_CLIENTS)

    class Handler(BaseHTTPRequestHandler):
        server_version = "vgx"
        protocol_version = "HTTP/1.0"
        timeout = CLIENT_TIMEOUT_S  # socket timeout: silent or stalled clients are dropped

        def handle(self) -> None:
            if not slots.acquire(blocking=False):
                with contextlib.suppress(OSError):
                    self.wfile.write(b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                return
            try:
                super().handle()
            except (TimeoutError, OSError):
                pass  # a stalled or vanished client: drop it
            finally:
                slots.release()

        def log_message(self, fmt: str, *args: object) -> None:  # quiet: the stream has its own stats
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                self._send(200, "text/html; charset=utf-8", PAGE)
            elif path == "/frame.jpg":
                jpeg, _ = latest.wait_newer(0, timeout=5.0)
                self._send(200, "image/jpeg", jpeg) if jpeg else self._send(503, "text/plain", b"no frame yet")
            elif path == "/stream":
                self._stream()
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, code: int, ctype: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seq = 0
            try:
                while not latest.closed:
                    jpeg, seq_new = latest.wait_newer(seq)
                    if seq_new == seq or not jpeg:
                        continue
                    seq = seq_new
                    self.wfile.write(b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n"
                                     + f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client left

    return Handler


class MjpegServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8090, quality: int = 85) -> None:
        self.latest = _Latest()
        self.quality = quality
        try:
            self.server = ThreadingHTTPServer((host, port), _handler(self.latest))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise VgxError(f"port {port} on {host} is in use; pick another: --output http://{host}:{port + 1}") from None
            raise VgxError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
        self.server.daemon_threads = True
        self.host, self.port = host, self.server.server_address[1]
        self.name = f"http://{self.host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="vgx-mjpeg", daemon=True)
        self.thread.start()

    def write(self, image: np.ndarray, frame: Frame) -> None:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if ok:
            self.latest.put(buf.tobytes())

    def close(self) -> None:
        with self.latest.cond:
            self.latest.closed = True
            self.latest.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()
