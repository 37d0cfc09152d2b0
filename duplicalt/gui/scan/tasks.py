"""Background work and "run on main": worker threads never touch widgets.

A ``TaskRunner`` lives on the GUI thread. ``run(fn, on_done, on_error)`` calls
``fn`` in a worker thread and hands its result (or exception) to the callbacks
on the GUI thread through a queued signal. ``run_on_main(fn)`` may be called
from any thread.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)


def lower_priority(niceness: int = 10) -> None:
    """Run the calling thread (and the threads it starts: decoders, torch's pool) at a
    lower CPU priority, so the GUI thread wins a busy CPU. Linux only; harmless elsewhere."""
    if os.environ.get("DUPLICALT_NO_NICE") or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), niceness))
    except OSError:
        pass


class TaskRunner(QObject):
    _call = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call.connect(self._invoke, Qt.QueuedConnection)
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def run_on_main(self, fn: Callable[[], Any]) -> None:
        """Queue ``fn`` to run on the GUI thread (safe from any thread)."""
        try:
            self._call.emit(fn)
        except RuntimeError:  # the window is gone (closed during a scan): drop it
            log.debug("run_on_main after the window closed; dropped")

    @staticmethod
    def _invoke(fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception:  # a slot error must not kill the event loop silently
            log.exception("error in a GUI callback")
            raise

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            name: str = "duplicalt-task") -> threading.Thread:
        def body() -> None:
            try:
                value = fn()
            except BaseException as exc:  # reported on the GUI thread
                if on_error is not None:
                    self.run_on_main(lambda e=exc: on_error(e))
                else:
                    log.exception("background task %s failed", name)
                return
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())
            if on_done is not None:
                self.run_on_main(lambda: on_done(value))

        thread = threading.Thread(target=body, name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def busy(self) -> bool:
        with self._lock:
            return bool(self._threads)

    def join(self, timeout: float = 5.0) -> None:
        """Wait (bounded) for the running tasks, e.g. when the window closes."""
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout)
