"""Watch a project folder for saves in a background thread; hand them over in batches.

watchfiles groups the events of one save (an editor may write, rename and chmod) into one
batch: it yields once no new event has come for STEP_MS. `next_changes` then also takes any
batches queued while the last reload ran, so a burst of saves costs one reload.

Never watched: Stratus's own output (.stratus/, where builds and zips go: watching it would
reload forever), SAM's (.aws-sam/), caches and VCS folders, editor swap files.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import watchfiles

IGNORED_DIRS = (*watchfiles.DefaultFilter.ignore_dirs, ".stratus", ".aws-sam")
STEP_MS = 50  # quiet time that ends a batch
DEBOUNCE_MS = 400  # longest a batch waits for a burst to settle
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Changes:
    paths: frozenset[Path]
    seen_at: float  # monotonic time the first batch arrived


class Watcher:
    """`with Watcher(root) as watcher: watcher.next_changes(0.5)`."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._batches: queue.Queue[tuple[frozenset[Path], float]] = queue.Queue()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stratus-watch", daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        self._ready.wait(STOP_TIMEOUT_S)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(STOP_TIMEOUT_S)

    def next_changes(self, timeout_s: float) -> Changes | None:
        """The paths saved since the last call (waiting up to `timeout_s`), or None."""
        if self._failure is not None:
            raise self._failure
        try:
            paths, seen_at = self._batches.get(timeout=timeout_s)
        except queue.Empty:
            return None
        while True:  # coalesce whatever else is waiting
            try:
                more, _ = self._batches.get_nowait()
            except queue.Empty:
                return Changes(paths, seen_at)
            paths |= more

    def _run(self) -> None:
        watch_filter = watchfiles.DefaultFilter(ignore_dirs=IGNORED_DIRS)
        try:
            for batch in watchfiles.watch(
                self._root,
                watch_filter=watch_filter,
                step=STEP_MS,
                debounce=DEBOUNCE_MS,
                stop_event=self._stop,
                raise_interrupt=False,
                yield_on_timeout=True,
                rust_timeout=100,
            ):
                self._ready.set()  # the first (timeout) yield: the watch is in place
                if batch:
                    self._batches.put((frozenset(Path(p) for _, p in batch), time.monotonic()))
        except BaseException as exc:  # handed to the main thread by next_changes
            self._failure = exc
        finally:
            self._ready.set()
