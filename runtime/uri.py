"""Stream URIs, as jetson-inference spells them: scheme://location?key=value.

Inputs: camera://N, csi://N, gst://PIPELINE, file://PATH or a bare path (video, image,
folder or glob), rtsp:// and http(s):// streams, demo://. Outputs: display://,
file://PATH or a bare path (video or folder), http://HOST:PORT (MJPEG), null://.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from vgx.errors import VgxError

INPUT_SCHEMES = ("camera", "csi", "gst", "file", "rtsp", "rtsps", "http", "https", "demo")
OUTPUT_SCHEMES = ("display", "file", "http", "null")


@dataclass(frozen=True)
class Uri:
    scheme: str
    location: str
    options: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.location}"


def parse(text: str, kinds: tuple[str, ...] = INPUT_SCHEMES) -> Uri:
    """Split a URI; a bare path is file://. Unknown schemes are a clear error."""
    if not text or "\x00" in text:
        raise VgxError(f"empty or invalid URI {text!r}")
    if "://" not in text:
        return Uri("file", text)
    scheme, rest = text.split("://", 1)
    scheme = scheme.lower()
    if scheme not in kinds:
        raise VgxError(f"unknown scheme {scheme!r} in {text!r}; use one of {', '.join(s + '://' for s in kinds)}")
    if scheme in ("rtsp", "rtsps", "http", "https"):
        try:
            parts = urlsplit(f"{scheme}://{rest}")
            parts.port  # noqa: B018 - raises on a port that is not a number in 0-65535
        except ValueError:
            raise VgxError(f"bad port in {text!r}: expected {scheme}://HOST[:PORT]/PATH with PORT 1-65535") from None
        if not parts.hostname:
            raise VgxError(f"no host in {text!r}: expected {scheme}://HOST[:PORT]/PATH")
        return Uri(scheme, rest)  # the query belongs to the remote URL
    if scheme == "gst":
        return Uri(scheme, rest)  # a pipeline, verbatim
    location, _, query = rest.partition("?")
    return Uri(scheme, location, dict(parse_qsl(query)))


def host_port(location: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """'127.0.0.1:8090' or ':8090' or '8090' -> (host, port), port checked."""
    host, _, port = location.rstrip("/").rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise VgxError(f"bad port in {location!r}: expected HOST:PORT, e.g. 127.0.0.1:8090") from None
    if not 0 < number < 65536:
        raise VgxError(f"port {number} is out of range 1-65535")
    return host or default_host, number
