"""TensorRT runner: one engine, name-based I/O, pinned host buffers, one CUDA stream.

`set_input_shape` per call (dynamic H/W within the engine's profile), `set_tensor_address`
for every I/O tensor, `execute_async_v3` on the stream; buffers grow on demand and free
themselves. `cuda_graph=True` captures the enqueue once per input shape and replays it
(saves launch overhead for small models). The CPU-only development machines cannot run
this: CI checks it with mypy against tensorrt-stubs.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from vgx.environment import import_tensorrt
from vgx.errors import VgxError

from .cuda import DeviceBuffer, Event, PinnedBuffer, Stream, cuda_call, cudart

if TYPE_CHECKING:
    import tensorrt as trt


def _np_dtype(dt: trt.DataType) -> np.dtype[Any]:
    import tensorrt as trt

    table = {trt.DataType.FLOAT: np.float32, trt.DataType.HALF: np.float16, trt.DataType.INT8: np.int8,
             trt.DataType.UINT8: np.uint8, trt.DataType.INT32: np.int32, trt.DataType.INT64: np.int64,
             trt.DataType.BOOL: np.bool_}
    if dt not in table:
        raise VgxError(f"engine I/O type {dt} is not supported by the vgx TensorRT runner")
    return np.dtype(table[dt])


class TensorRTRunner:
    def __init__(self, engine_path: str | Path, cuda_graph: bool = False) -> None:
        self.path = Path(engine_path)
        self.name = f"trt:{self.path.name}"
        self.cuda_graph = cuda_graph
        self.engine: trt.ICudaEngine | None = None
        self.context: trt.IExecutionContext | None = None
        self.stream: Stream | None = None
        self.host: dict[str, PinnedBuffer] = {}
        self.device: dict[str, DeviceBuffer] = {}
        self.graphs: dict[tuple[tuple[int, ...], ...], Any] = {}
        self.events: list[Event] = []
        self.last_timings: dict[str, float] | None = None  # H2D, compute, D2H of the last call (ms, CUDA events)

    def __enter__(self) -> TensorRTRunner:
        import_tensorrt()  # a clear error where only the stubs (or nothing) are installed
        import tensorrt as trt

        logger = trt.Logger(trt.Logger.WARNING)
        runtime = trt.Runtime(logger)
        engine = runtime.deserialize_cuda_engine(self.path.read_bytes())
        if engine is None:
            raise VgxError(f"TensorRT cannot load {self.path.name} (another TensorRT version or GPU?): rebuild it")
        self.engine = engine
        self.context = engine.create_execution_context()
        self.stream = Stream()
        self.events = [Event() for _ in range(4)]  # before H2D, after H2D, after compute, after D2H
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for host in self.host.values():
            host.free()
        for dev in self.device.values():
            dev.free()
        self.host.clear()
        self.device.clear()
        self.graphs.clear()
        self.context = None
        self.engine = None

    def _tensors(self, output: bool) -> list[str]:
        import tensorrt as trt

        assert self.engine is not None
        mode = trt.TensorIOMode.OUTPUT if output else trt.TensorIOMode.INPUT
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        return [n for n in names if self.engine.get_tensor_mode(n) == mode]

    @property
    def input_names(self) -> list[str]:
        return self._tensors(output=False)

    def _buffers(self, name: str, nbytes: int) -> tuple[PinnedBuffer, DeviceBuffer]:
        if name not in self.device or self.device[name].nbytes < nbytes:
            for table in (self.host, self.device):
                old = table.pop(name, None)
                if old is not None:
                    old.free()
            self.host[name], self.device[name] = PinnedBuffer(nbytes), DeviceBuffer(nbytes)
            self.graphs.clear()  # captured graphs point at the old addresses
        return self.host[name], self.device[name]

    def infer(self, feed: dict[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
        if self.engine is None or self.context is None or self.stream is None:
            raise VgxError("TensorRTRunner.infer called outside its `with` block")
        engine, context, stream = self.engine, self.context, self.stream
        self.events[0].record(stream)
        for name in self.input_names:
            x = np.ascontiguousarray(feed[name], dtype=_np_dtype(engine.get_tensor_dtype(name)))
            if not context.set_input_shape(name, x.shape):
                raise VgxError(f"input {name} shape {x.shape} is outside the engine's profile: rebuild with "
                               "--min-shape/--max-shape covering it")
            host, dev = self._buffers(name, x.nbytes)
            host.view(x.dtype, x.shape)[...] = x
            stream.h2d(dev, host, x.nbytes)
            context.set_tensor_address(name, dev.ptr)
        outputs: dict[str, tuple[np.dtype[Any], tuple[int, ...], PinnedBuffer, DeviceBuffer]] = {}
        for name in self._tensors(output=True):
            dims = context.get_tensor_shape(name)
            shape = tuple(int(dims[i]) for i in range(len(dims)))
            dtype = _np_dtype(engine.get_tensor_dtype(name))
            nbytes = int(np.prod(shape)) * dtype.itemsize
            host, dev = self._buffers(name, nbytes)
            context.set_tensor_address(name, dev.ptr)
            outputs[name] = (dtype, shape, host, dev)
        self.events[1].record(stream)
        self._enqueue(tuple(tuple(feed[n].shape) for n in self.input_names))
        self.events[2].record(stream)
        for _dtype, shape, host, dev in outputs.values():
            stream.d2h(host, dev, int(np.prod(shape)) * _dtype.itemsize)
        self.events[3].record(stream)
        stream.synchronize()
        e = self.events
        self.last_timings = {"h2d": round(e[1].ms_since(e[0]), 3), "compute": round(e[2].ms_since(e[1]), 3),
                             "d2h": round(e[3].ms_since(e[2]), 3)}
        return {name: host.view(dtype, shape).copy() for name, (dtype, shape, host, _) in outputs.items()}

    def _enqueue(self, key: tuple[tuple[int, ...], ...]) -> None:
        assert self.context is not None and self.stream is not None
        if not self.cuda_graph:
            if not self.context.execute_async_v3(self.stream.handle):
                raise VgxError("TensorRT execution failed")
            return
        rt = cudart()
        if key not in self.graphs:
            # one plain run first: TensorRT may allocate or tune lazily, which capture forbids
            if not self.context.execute_async_v3(self.stream.handle):
                raise VgxError("TensorRT execution failed")
            self.stream.synchronize()
            mode = rt.cudaStreamCaptureMode.cudaStreamCaptureModeGlobal
            cuda_call(rt.cudaStreamBeginCapture(self.stream.handle, mode))
            self.context.execute_async_v3(self.stream.handle)
            graph = cuda_call(rt.cudaStreamEndCapture(self.stream.handle))
            self.graphs[key] = cuda_call(rt.cudaGraphInstantiate(graph, 0))
        cuda_call(rt.cudaGraphLaunch(self.graphs[key], self.stream.handle))
