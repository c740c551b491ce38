"""The stream: capture -> preprocess -> infer -> postprocess -> sinks, one thread each,
over bounded queues.

Policies: **live** (cameras, network) keeps only the newest captured frame: when the
model falls behind, the waiting frame is replaced by a newer one and the stale one is
counted as dropped; the inference thread prepares the newest frame itself when it is
free, so no frame ages in a queue and capture-to-sink latency stays near one model
latency plus one frame interval. **lossless** (files, folders) blocks instead: every frame, in order. A stop
request (Ctrl-C, SIGTERM) ends capture; frames already queued are finished and written,
and sinks close cleanly (a valid video file).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from .frames import Frame
from .sinks import Sink
from .sources import Source
from .stats import Stats
from .temporal import TemporalSmoother

END = object()  # end-of-stream marker passed down the stages


@dataclass
class StreamOptions:
    policy: str = "lossless"  # live | lossless
    batch: int = 1  # frames per inference (lossless only)
    queue_size: int = 4
    side_by_side: bool = False
    hud: bool = False
    max_frames: int | None = None
    smooth: float = 0.0  # temporal smoothing strength (runtime/temporal.py); 0 shows each output as it is


class Model(Protocol):
    """What the pipeline runs: host input work, inference, host output work (an Enhancer)."""

    def prepare(self, frames: list[np.ndarray]) -> Any: ...

    def run(self, batch: Any) -> Any: ...

    def finish(self, result: Any) -> list[np.ndarray]: ...


class Pipeline:
    def __init__(self, source: Source, model: Model, sinks: list[Sink],
                 options: StreamOptions, log: Callable[[str], None] = print) -> None:
        self.source, self.model, self.sinks, self.opt, self.log = source, model, list(sinks), options, log
        self.stats = Stats()
        self.stop = threading.Event()
        size = max(1, options.queue_size)
        self.live = options.policy == "live"
        self.q_cap: queue.Queue[Any] = queue.Queue(1 if self.live else size)
        self.q_pre: queue.Queue[Any] = queue.Queue(size)
        self.q_inf: queue.Queue[Any] = queue.Queue(size)
        self.q_out: queue.Queue[Any] = queue.Queue(size)
        self.errors: list[BaseException] = []
        self.smoother = TemporalSmoother(options.smooth) if options.smooth > 0 else None

    # -- stages --------------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            while not self.stop.is_set():
                if self.opt.max_frames is not None and self.stats.frames_in >= self.opt.max_frames:
                    break
                frame = self.source.capture(timeout=0.5)
                if frame is None:
                    if self.source.eos:
                        break
                    continue
                self.stats.frames_in += 1
                if self.live:
                    while True:
                        try:
                            self.q_cap.put_nowait(frame)
                            break
                        except queue.Full:
                            try:
                                self.q_cap.get_nowait()  # the oldest waiting frame is stale: drop it
                                self.stats.dropped += 1
                            except queue.Empty:
                                pass
                else:
                    self.q_cap.put(frame)
        finally:
            self.stats.decode_errors = self.source.errors
            self.q_cap.put(END)

    def _preprocess(self) -> None:
        """Batches of consecutive same-size frames (--batch), in capture order."""
        batch_size = max(1, self.opt.batch)
        pending: list[Frame] = []
        while True:
            item = self.q_cap.get()
            end = item is END
            if not end and pending and item.image.shape != pending[0].image.shape:
                self._prepare(pending)  # a size change closes the batch
                pending = []
            if not end:
                pending.append(item)
            if pending and (end or len(pending) >= batch_size):
                self._prepare(pending)
                pending = []
            if end:
                break
        self.q_pre.put(END)

    def _prepare(self, frames: list[Frame]) -> None:
        t = time.perf_counter()
        x = self.model.prepare([f.image for f in frames])
        self.stats.stage("preprocess", time.perf_counter() - t, len(frames))
        self.q_pre.put((frames, x))

    def _infer(self) -> None:
        source = self.q_cap if self.live else self.q_pre  # live: take the newest frame directly
        while (item := source.get()) is not END:
            if self.live:
                t = time.perf_counter()
                frames, x = [item], self.model.prepare([item.image])
                self.stats.stage("preprocess", time.perf_counter() - t)
            else:
                frames, x = item
            t = time.perf_counter()
            try:
                y = self.model.run(x)
            except Exception as e:  # noqa: BLE001 - reported by run(); the stream stops cleanly
                self.errors.append(e)
                self.stop.set()
                self._drain(source)
                break
            self.stats.stage("infer", time.perf_counter() - t, len(frames))
            self.q_inf.put((frames, y))
        self.q_inf.put(END)

    def _postprocess(self) -> None:
        while (item := self.q_inf.get()) is not END:
            frames, y = item
            t = time.perf_counter()
            images = self.model.finish(y)
            if self.smoother is not None:  # in stream order: this thread sees every frame after the model
                smoother, made_by = self.smoother, getattr(self.model, "finished", None)  # a switcher's model
                images = [smoother.smooth(f.image, img, made_by) for f, img in zip(frames, images)]
            if self.opt.side_by_side:
                from .enhancer import side_by_side

                images = [side_by_side(f.image, img) for f, img in zip(frames, images)]
            self.stats.stage("postprocess", time.perf_counter() - t, len(frames))
            for f, img in zip(frames, images):
                self.q_out.put((f, img))
        self.q_out.put(END)

    def _sink(self) -> None:
        while (item := self.q_out.get()) is not END:
            frame, image = item
            if self.opt.hud:
                image = self._hud(image)
            t = time.perf_counter()
            for sink in list(self.sinks):
                try:
                    sink.write(image, frame)
                except Exception as e:  # noqa: BLE001 - one failing sink must not stop the others
                    self.stats.sink_errors += 1
                    self.log(f"output {sink.name} failed and was closed: {e}")
                    self._close(sink)
                    self.sinks.remove(sink)
                if getattr(sink, "quit", False):
                    self.stop.set()
                if getattr(sink, "switch", False) and hasattr(self.model, "next"):
                    sink.switch = False  # type: ignore[attr-defined]
                    self.log(f"switched to {self.model.next().card.name}")
            self.stats.stage("sink", time.perf_counter() - t)
            self.stats.delivered(frame.t_capture)
            if not self.sinks:
                self.stop.set()

    def _hud(self, image: np.ndarray) -> np.ndarray:
        s = self.stats.to_dict()
        text = f"{s['fps']:.1f} fps  e2e p50 {s['e2e_latency_ms']['p50']:.0f} ms  dropped {s['dropped']}"
        image = image.copy()
        cv2.putText(image, text, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(image, text, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
        return image

    @staticmethod
    def _drain(q: queue.Queue[Any]) -> None:
        while q.get() is not END:
            pass

    def _close(self, sink: Sink) -> None:
        try:
            sink.close()
        except Exception as e:  # noqa: BLE001
            self.log(f"closing {sink.name} failed: {e}")

    # -- driver --------------------------------------------------------------------------
    def run(self, until: threading.Event | None = None) -> Stats:
        """Run to the end of the source, or until `until`/stop is set; always closes sinks."""
        stages = [self._capture, self._infer, self._postprocess, self._sink]
        if not self.live:
            stages.insert(1, self._preprocess)
        workers = [threading.Thread(target=fn, name=f"vgx-{fn.__name__.strip('_')}", daemon=True) for fn in stages]
        for w in workers:
            w.start()
        try:
            while workers[-1].is_alive():
                workers[-1].join(0.1)
                if until is not None and until.is_set():
                    self.stop.set()
        finally:
            self.stop.set()
            for w in workers:
                w.join(5.0)
            self.source.close()
            for sink in self.sinks:
                self._close(sink)
        if self.errors:
            raise self.errors[0]
        return self.stats
