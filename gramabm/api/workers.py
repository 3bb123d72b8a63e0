"""Where jobs run: a local process pool by default, a Dask cluster when one is configured.

A backend runs ``fn(*args, channel=...)`` somewhere else and hands back a future. The channel is
the job's only line to the server while it runs: the job reports its progress through it, and
learns through it that it was cancelled (it then raises :class:`JobCancelledError` at its next
report). The local pool's channels are slots of shared memory arrays (no message per step), Dask's
are a named Variable (progress) and Event (cancel) on the scheduler, polled at most twice a second.

The local pool is the sweep engine's (:func:`gramabm.sweeps.backends.make_executor`): the same
start method, preloaded modules and worker initializer (whose watchdog ends a worker when the
server dies), and the same stop (:func:`~gramabm.sweeps.backends.stop_executor`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

from gramabm.errors import GramabmError
from gramabm.sweeps.backends import make_executor, pool_context, stop_executor, worker_shared


class JobCancelledError(GramabmError):
    """The job was cancelled while it ran (raised inside the job at its next progress report)."""


class QueueFullError(GramabmError):
    """Too many jobs are queued or running; the caller should retry later."""


class Channel(Protocol):
    """The job's side of the line to the server."""

    def report(self, fraction: float) -> None:
        """Record progress (0..1); raises :class:`JobCancelledError` if cancel was asked."""
        ...


# ------------------------------------------------------------------------ local process pool


def _pause(seconds: float) -> None:
    """Occupy a worker briefly (so that warming up starts every worker, not one)."""
    time.sleep(seconds)


@dataclass(frozen=True)
class SlotChannel:
    """A channel over slot ``slot`` of the pool's shared arrays (used inside a worker).

    Args:
        slot: Index into the shared arrays.
    """

    slot: int

    def report(self, fraction: float) -> None:
        """Record progress; raises :class:`JobCancelledError` if the server asked to cancel."""
        # The pool's (started, progress, cancel) arrays, received once by each worker.
        started, progress, cancel = worker_shared()
        if cancel[self.slot]:
            raise JobCancelledError("cancelled at the caller's request")
        started[self.slot] = 1
        progress[self.slot] = min(max(float(fraction), 0.0), 1.0)


class LocalBackend:
    """A :class:`~concurrent.futures.ProcessPoolExecutor` started through a fork server.

    Args:
        workers: Worker processes.
        capacity: Jobs that may be queued or running at once (one shared-memory slot each).
    """

    name = "local"
    shares_disk = True
    """Workers see the server's data directory (a sweep writes its runs there as they finish)."""

    def __init__(self, workers: int, capacity: int) -> None:
        self.workers = workers
        self.capacity = capacity
        self._ctx = pool_context()
        self._started = self._ctx.Array("b", capacity, lock=False)
        self._progress = self._ctx.Array("d", capacity, lock=False)
        self._cancel = self._ctx.Array("b", capacity, lock=False)
        self._slots: dict[str, int] = {}
        self._free = list(range(capacity - 1, -1, -1))
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False  # set by close(): a late warm-up must not start a new pool

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = make_executor(
                self.workers, (self._started, self._progress, self._cancel)
            )
        return self._executor

    def submit(self, job_id: str, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue ``fn(*args, channel=...)``.

        Raises:
            QueueFullError: Every slot is taken.
        """
        with self._lock:
            if not self._free:
                raise QueueFullError(
                    f"{self.capacity} jobs are already queued or running; retry later"
                )
            slot = self._free.pop()
            self._slots[job_id] = slot
            self._started[slot] = 0
            self._progress[slot] = 0.0
            self._cancel[slot] = 0
            try:
                return self._pool().submit(fn, *args, channel=SlotChannel(slot))
            except BrokenProcessPool:
                # A worker died (killed, out of memory): start a fresh pool and queue again.
                self._executor = None
                return self._pool().submit(fn, *args, channel=SlotChannel(slot))
            except BaseException:
                self._release_locked(job_id)
                raise

    def warm(self) -> None:
        """Start every worker now, so the first job does not wait for process start-up."""
        with self._lock:
            if self._closed:
                return
            pool = self._pool()
        try:
            for future in [pool.submit(_pause, 0.2) for _ in range(self.workers)]:
                future.result()
        except (RuntimeError, BrokenProcessPool):
            # The service shut down (or a worker died) while warming: nothing left to warm.
            return

    def progress(self, job_id: str) -> tuple[bool, float]:
        """Whether the job has started, and its last reported progress."""
        slot = self._slots.get(job_id)
        if slot is None:
            return False, 0.0
        return bool(self._started[slot]), float(self._progress[slot])

    def request_cancel(self, job_id: str) -> None:
        """Ask a running job to stop at its next progress report."""
        slot = self._slots.get(job_id)
        if slot is not None:
            self._cancel[slot] = 1

    def release(self, job_id: str) -> None:
        """Free the job's slot (after it finished)."""
        with self._lock:
            self._release_locked(job_id)

    def _release_locked(self, job_id: str) -> None:
        slot = self._slots.pop(job_id, None)
        if slot is not None:
            self._free.append(slot)

    def healthy(self) -> bool:
        """Whether jobs can be submitted."""
        return self._executor is None or not getattr(self._executor, "_broken", False)

    def close(self, timeout: float = 10.0) -> None:
        """Ask running jobs to stop, drop queued ones, and end the workers.

        Args:
            timeout: Seconds the workers get to finish; any still alive then is terminated
                (work without progress reports, e.g. a long fit, cannot stop by itself).
        """
        with self._lock:
            self._closed = True
            for slot in self._slots.values():
                self._cancel[slot] = 1
            executor, self._executor = self._executor, None
        if executor is not None:
            stop_executor(executor, timeout)


# ------------------------------------------------------------------------------------ Dask


@dataclass
class DaskChannel:
    """A channel over a Dask Variable (progress) and Event (cancel) named after the job.

    Args:
        job_id: The job.
        interval: Least seconds between two round trips to the scheduler.
    """

    job_id: str
    interval: float = 0.5
    _last: float = field(default=0.0, repr=False)
    _client: Any = field(default=None, repr=False)

    def report(self, fraction: float) -> None:
        """Record progress; raises :class:`JobCancelledError` if the server asked to cancel."""
        now = time.monotonic()
        # The first and final reports always go through; others at most every ``interval``.
        if self._last and now - self._last < self.interval and fraction < 1.0:
            return
        self._last = now
        from distributed import Event, Variable, get_client

        # The first report comes from the task's own thread, where get_client() works; later
        # ones may come from a watcher thread, so the client is kept.
        if self._client is None:
            self._client = get_client()
        client = self._client
        if Event(cancel_name(self.job_id), client=client).is_set():
            raise JobCancelledError("cancelled at the caller's request")
        Variable(progress_name(self.job_id), client=client).set(float(fraction))


def progress_name(job_id: str) -> str:
    """Name of the Dask Variable holding a job's progress."""
    return f"gramabm-progress-{job_id}"


def cancel_name(job_id: str) -> str:
    """Name of the Dask Event that cancels a job."""
    return f"gramabm-cancel-{job_id}"


class DaskBackend:
    """Jobs submitted to a Dask scheduler.

    Args:
        address: The scheduler (``tcp://host:8786``), or a ``distributed.Client`` already made.
        capacity: Jobs that may be queued or running at once.
    """

    name = "dask"
    shares_disk = False
    """Workers may run on other machines: a job's files come back to the server as bytes."""

    def __init__(self, address: Any, capacity: int) -> None:
        from distributed import Client

        self.capacity = capacity
        self._own_client = not isinstance(address, Client)
        self.client = Client(address, set_as_default=False) if self._own_client else address
        self._jobs: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, job_id: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Submit ``fn(*args, channel=...)`` to the cluster.

        Raises:
            QueueFullError: ``capacity`` jobs are already queued or running.
        """
        with self._lock:
            if len(self._jobs) >= self.capacity:
                raise QueueFullError(
                    f"{self.capacity} jobs are already queued or running; retry later"
                )
            self._jobs.add(job_id)
        return self.client.submit(
            fn, *args, channel=DaskChannel(job_id), key=f"gramabm-job-{job_id}", pure=False
        )

    def warm(self) -> None:
        """Nothing to start: the cluster's workers are already running."""

    def progress(self, job_id: str) -> tuple[bool, float]:
        """Whether the job has reported yet, and its last reported progress."""
        from distributed import Variable

        try:
            value = Variable(progress_name(job_id), client=self.client).get(timeout=0.05)
        except (TimeoutError, OSError):
            return False, 0.0
        return True, float(value)

    def request_cancel(self, job_id: str) -> None:
        """Ask a running job to stop at its next progress report."""
        from distributed import Event

        Event(cancel_name(job_id), client=self.client).set()

    def release(self, job_id: str) -> None:
        """Forget the job's Variable and Event."""
        from distributed import Event, Variable

        with self._lock:
            self._jobs.discard(job_id)
        try:
            Variable(progress_name(job_id), client=self.client).delete()
            Event(cancel_name(job_id), client=self.client).clear()
        except OSError:
            pass  # the scheduler is gone; nothing left to clean

    def healthy(self) -> bool:
        """Whether the scheduler answers."""
        return self.client.status == "running"

    def close(self) -> None:
        """Ask running jobs to stop and close the client (the cluster keeps running)."""
        for job_id in list(self._jobs):
            try:
                self.request_cancel(job_id)
            except OSError:
                break
        if self._own_client:
            self.client.close()
