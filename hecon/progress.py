"""Progress bars for long work (tqdm on stderr); silent unless switched on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Progress = Callable[..., Any]


class _Silent:
    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def silent(desc: str, total: int, unit: str = "row") -> _Silent:
    """A progress bar that shows nothing (the default for library calls and tests)."""
    return _Silent()


def bars(desc: str, total: int, unit: str = "row") -> Any:
    """A tqdm progress bar on stderr (used by the command line)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)


# ------------------------------------------------- progress of work in other processes
class _RemoteBar:
    """A bar in a worker process: its updates go to the relay of the process that draws it."""

    def __init__(self, queue: Any, key: str) -> None:
        self._q, self._key = queue, key

    def update(self, n: int = 1) -> None:
        """Advance the bar by ``n``."""
        self._q.put(("update", self._key, n))

    def close(self) -> None:
        """Close the bar."""
        self._q.put(("close", self._key))

    def __enter__(self) -> _RemoteBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteProgress:
    """A picklable progress factory for work in worker processes (:func:`relayed`): each bar's
    opening, updates and closing are sent to the process that made it, which draws them with
    its own progress factory."""

    def __init__(self, queue: Any) -> None:
        self._q = queue
        self._made = 0

    def __call__(self, desc: str, total: int, unit: str = "row") -> _RemoteBar:
        import os

        self._made += 1
        key = f"{os.getpid()}:{id(self)}:{self._made}"
        self._q.put(("open", key, desc, total, unit))
        return _RemoteBar(self._q, key)


@contextmanager
def relayed(progress: Progress) -> Iterator[Progress]:
    """A progress factory to hand to worker processes whose bars show here as ``progress``
    bars (drawn by a thread of this process); ``silent`` stays silent (nothing started)."""
    if progress is silent:
        yield silent
        return
    import multiprocessing
    import threading

    manager = multiprocessing.get_context("spawn").Manager()
    queue = manager.Queue()

    def draw() -> None:
        open_bars: dict[str, Any] = {}
        while True:
            msg = queue.get()
            if msg is None:
                break
            kind, key = msg[0], msg[1]
            if kind == "open":
                open_bars[key] = progress(msg[2], msg[3], unit=msg[4])
            elif kind == "update" and key in open_bars:
                open_bars[key].update(msg[2])
            elif kind == "close" and key in open_bars:
                open_bars.pop(key).close()
        for bar in open_bars.values():  # a worker that stopped without closing its bars
            bar.close()

    thread = threading.Thread(target=draw, name="hecon-progress-relay", daemon=True)
    thread.start()
    try:
        yield RemoteProgress(queue)
    finally:
        queue.put(None)
        thread.join()
        manager.shutdown()
