"""CUDA through cuda-python: calls that raise instead of returning error codes, and
buffers that free themselves (after TensorRT's samples/python/common_runtime.py).
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Any

import numpy as np
from numpy.typing import NDArray

from vgx.errors import VgxError


def cudart() -> Any:
    """cuda-python's runtime module, or a clear error when it is not installed."""
    from vgx.environment import cuda_runtime_module

    runtime = cuda_runtime_module()
    if runtime is None:
        raise VgxError("the TensorRT backend needs cuda-python: pip install 'vgx[trt]'")
    return runtime


def cuda_call(result: tuple[Any, ...]) -> Any:
    """cuda-python returns (err, value...): the value, or an exception naming the error."""
    err, rest = result[0], result[1:]
    if int(err) != 0:
        raise VgxError(f"CUDA error {err}")
    return rest[0] if len(rest) == 1 else (rest or None)


class DeviceBuffer:
    """cudaMalloc'd memory, freed when the object goes."""

    def __init__(self, nbytes: int) -> None:
        self.rt = cudart()
        self.nbytes = nbytes
        self.ptr = int(cuda_call(self.rt.cudaMalloc(nbytes)))

    def free(self) -> None:
        if self.ptr:
            cuda_call(self.rt.cudaFree(self.ptr))
            self.ptr = 0

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown CUDA may be gone
            self.free()


class PinnedBuffer:
    """Page-locked host memory seen as a numpy array (fast, async H2D/D2H copies)."""

    def __init__(self, nbytes: int) -> None:
        self.rt = cudart()
        self.nbytes = nbytes
        self.ptr = int(cuda_call(self.rt.cudaMallocHost(nbytes)))
        raw = (ctypes.c_byte * nbytes).from_address(self.ptr)
        self.bytes: NDArray[Any] = np.frombuffer(memoryview(raw), dtype=np.uint8)

    def view(self, dtype: np.dtype[Any], shape: tuple[int, ...]) -> NDArray[Any]:
        count = int(np.prod(shape))
        out: NDArray[Any] = self.bytes[: count * dtype.itemsize].view(dtype).reshape(shape)
        return out

    def free(self) -> None:
        if self.ptr:
            self.bytes = np.empty(0, np.uint8)
            cuda_call(self.rt.cudaFreeHost(self.ptr))
            self.ptr = 0

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.free()


class Stream:
    def __init__(self) -> None:
        self.rt = cudart()
        self.handle = cuda_call(self.rt.cudaStreamCreate())

    def h2d(self, dst: DeviceBuffer, src: PinnedBuffer, nbytes: int) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        cuda_call(self.rt.cudaMemcpyAsync(dst.ptr, src.ptr, nbytes, kind, self.handle))

    def d2h(self, dst: PinnedBuffer, src: DeviceBuffer, nbytes: int) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        cuda_call(self.rt.cudaMemcpyAsync(dst.ptr, src.ptr, nbytes, kind, self.handle))

    def synchronize(self) -> None:
        cuda_call(self.rt.cudaStreamSynchronize(self.handle))

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            cuda_call(self.rt.cudaStreamDestroy(self.handle))


class Event:
    """A CUDA event with timing: record on a stream, then read the ms between two of them."""

    def __init__(self) -> None:
        self.rt = cudart()
        self.handle = cuda_call(self.rt.cudaEventCreate())

    def record(self, stream: Stream) -> None:
        cuda_call(self.rt.cudaEventRecord(self.handle, stream.handle))

    def ms_since(self, start: Event) -> float:
        return float(cuda_call(self.rt.cudaEventElapsedTime(start.handle, self.handle)))

    def __del__(self) -> None:
        if getattr(self, "handle", None) is not None:
            self.rt.cudaEventDestroy(self.handle)
            self.handle = None
