"""Where runs execute: this process, a local process pool, or a Dask cluster.

Each backend maps a top-level function of the installed package over plain-data items and yields
results as they finish (in completion order; the runner keys them by run id, so order never
matters). Workers never rely on ``__main__``:

* :class:`InProcess`: one worker, no pool (a traceback stays readable; nothing to start).
* :class:`ProcessPool`: a :class:`~concurrent.futures.ProcessPoolExecutor` on an explicit
  ``forkserver`` context (``spawn`` where forkserver is missing). The fork server imports the model
  once; each worker is forked from it, already warm, and never inherits the parent's threads or
  locks. An explicit context also keeps a process-wide ``set_start_method`` (Mesa's ``batch_run``
  forces ``spawn``) from changing the pool.
* :class:`DaskCluster`: ``dask.distributed``: a new ``LocalCluster`` (one single-threaded worker
  process per worker, no dashboard) or a running scheduler's address. Remote workers need gramabm
  installed; results come back to this process, which writes them.

**Shared data, shipped once per worker.** A backend opened with ``shared=value`` (a sweep's gold
series) calls ``fn(item, value)`` instead of ``fn(item)``, and sends the value to each worker once,
not with every item: this process keeps a reference; a pool passes it to each worker's initializer
(pickled once per worker process, kept in the worker as a module global); Dask scatters it to every
worker with ``broadcast=True`` and each task names the scattered future, which resolves to the
worker's local copy (a worker that joins later fetches it once). Workers must treat it as
read-only: tasks on one worker receive the same object.

**One engine.** The REST service's job pool (:mod:`gramabm.api.workers`) starts its workers here
too (:func:`make_executor`, :func:`stop_executor`): one start method, one preload list, one
initializer whose watchdog ends a worker when the process that started it dies (a SIGKILL or a
SIGTERM at any moment leaves no orphan), and one way to stop a pool that terminates stragglers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from contextlib import contextmanager
from typing import Any, Protocol

from gramabm.errors import ConfigError

PRELOAD = (
    "gramabm.sweeps.backends",
    "gramabm.sweeps.runner",
    "gramabm.simulation",
    "gramabm.model",
    "gramabm.analysis.runs.metrics",
    "gramabm.analysis.render.plots",
    "gramabm.scenarios",
    "gramabm.policies.io",
    "gramabm.policies.training",
)
"""Modules the fork server imports once, so each worker (sweep or service job) starts warm."""
CONNECT_TIMEOUT_S = 5
"""Seconds to wait for a running Dask scheduler to answer."""
_thread_limits: Any = None
_worker_shared: Any = None
"""The value a pool worker received from :func:`init_worker` (``None`` until then)."""


def _exit_with_parent() -> None:
    """Block until the process that started this worker is gone, then end this worker at once."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(1)


def init_worker(shared: Any = None) -> None:
    """Pool-worker initializer: one BLAS thread, a watchdog that exits with the sweep, shared data.

    The pool is the parallelism, so each worker keeps BLAS/OpenMP to one thread. A worker blocked
    on its task queue never notices a killed sweep (it holds the queue's write end itself), so a
    daemon thread waits on the parent's sentinel and ends the worker when the sweep dies: a kill
    leaves no orphans behind.

    Args:
        shared: The backend's shared value, kept for :func:`call_with_shared` (sent once per
            worker with the initializer's arguments).
    """
    global _thread_limits, _worker_shared
    _worker_shared = shared
    threading.Thread(target=_exit_with_parent, name="gramabm-parent-watch", daemon=True).start()
    try:
        from tqdm import tqdm

        # tqdm would otherwise make a multiprocessing lock (a named semaphore) in each worker,
        # which a terminated worker leaves behind; a worker's bars never share a terminal.
        tqdm.set_lock(threading.RLock())
    except ImportError:  # pragma: no cover - tqdm is a dependency
        pass
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return
    _thread_limits = threadpool_limits(limits=1)


def worker_shared() -> Any:
    """The value this pool worker received from :func:`init_worker` (None outside a worker)."""
    return _worker_shared


def call_with_shared(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    """``fn(item, shared)`` with the value this pool worker received once from its initializer."""
    return fn(item, _worker_shared)


def warm_worker(pause_s: float = 0.0) -> int:
    """Import the model and run a tiny simulation, so later timings exclude first-use costs.

    Args:
        pause_s: Seconds to wait afterwards; lets a pool hand simultaneous warm-ups to distinct
            workers.

    Returns:
        The worker's process id.
    """
    from gramabm.config import build_config
    from gramabm.simulation import simulate

    simulate(build_config(None, holders=20, steps=24), 0)
    time.sleep(pause_s)
    return os.getpid()


class Backend(Protocol):
    """What the runner needs from an execution backend."""

    workers: int

    def map_unordered(self, fn: Callable[..., Any], items: Sequence[Any]) -> Iterator[Any]:
        """Yield ``fn(item)`` (``fn(item, shared)`` with shared data) per item, as they finish."""
        ...

    def warm(self) -> None:
        """Run :func:`warm_worker` on every worker."""
        ...

    def close(self) -> None:
        """Stop the workers this backend started."""
        ...


class InProcess:
    """Runs every item here, one after the other.

    Args:
        shared: Passed to every call as its second argument (None: calls get the item only).
    """

    workers = 1

    def __init__(self, shared: Any = None) -> None:
        self._shared = shared

    def map_unordered(self, fn: Callable[..., Any], items: Sequence[Any]) -> Iterator[Any]:
        """Yield ``fn(item)`` (or ``fn(item, shared)``) in item order."""
        for item in items:
            yield fn(item) if self._shared is None else fn(item, self._shared)

    def warm(self) -> None:
        """Warm this process."""
        warm_worker()

    def close(self) -> None:
        """Nothing to stop."""


def pool_context() -> multiprocessing.context.BaseContext:
    """The start method of local pools: forkserver (preloading the model) or spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


def make_executor(workers: int, shared: Any = None) -> ProcessPoolExecutor:
    """A process pool of ``workers`` on :func:`pool_context`, initialised by :func:`init_worker`.

    Args:
        workers: Worker processes.
        shared: Sent once to each worker; read there with :func:`worker_shared`.
    """
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=pool_context(),
        initializer=init_worker,
        initargs=(shared,),
    )


def stop_executor(executor: ProcessPoolExecutor, timeout: float | None = 10.0) -> None:
    """Drop queued work and end every worker: those still busy after ``timeout`` are terminated.

    ``timeout=None`` waits for the running work to finish.

    Work without a way to stop by itself (a long fit) cannot hold a shutdown up. Waits for the
    pool's own threads, so its queues are released before the process exits.
    """
    # The pool keeps its processes in a private mapping; read it before shutdown clears it.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    for process in processes:
        process.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.terminate()
            process.join(1.0)
    executor.shutdown(wait=True)


class ProcessPool:
    """A local pool of ``workers`` processes.

    Args:
        workers: Worker processes.
        shared: Sent once to each worker (initializer argument) and passed to every call as its
            second argument (None: calls get the item only).
    """

    def __init__(self, workers: int, shared: Any = None) -> None:
        self.workers = workers
        self._has_shared = shared is not None
        self._pool = make_executor(workers, shared)

    def map_unordered(self, fn: Callable[..., Any], items: Sequence[Any]) -> Iterator[Any]:
        """Submit every item, then yield results as they finish."""
        futures: list[Future[Any]] = [
            self._pool.submit(call_with_shared, fn, item)
            if self._has_shared
            else self._pool.submit(fn, item)
            for item in items
        ]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def warm(self) -> None:
        """One warm-up per worker (each pauses, so no worker takes two)."""
        wait([self._pool.submit(warm_worker, 0.5) for _ in range(self.workers)])

    def close(self) -> None:
        """Cancel what has not started and wait for the workers to exit."""
        stop_executor(self._pool, timeout=None)


class DaskCluster:
    """Dask distributed: a new ``LocalCluster`` or a running scheduler.

    Args:
        workers: Worker processes of a new ``LocalCluster`` (ignored with ``scheduler``).
        scheduler: Address of a running scheduler (``tcp://host:8786``) to join instead.
        shared: Scattered to every worker once (``broadcast=True``) and passed to every call as
            its second argument (None: calls get the item only).
    """

    def __init__(self, workers: int, scheduler: str | None = None, shared: Any = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError(
                "Dask is not installed; install it with: pip install 'gramabm[dask]'"
            ) from exc
        self._cluster = None
        if scheduler is not None:
            try:
                # A short connect timeout: a wrong address fails in seconds, naming it.
                self._client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ConfigError(
                    f"--scheduler {scheduler}: no Dask scheduler answered within "
                    f"{CONNECT_TIMEOUT_S} s ({type(exc).__name__}: {exc})"
                ) from exc
        else:
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        self.workers = len(self._client.nthreads()) or workers
        self._shared: Any = None
        if shared is not None:
            try:
                # A one-element list: scatter would split a list or dict given bare. hash=False:
                # no tokenising of the data, no clash with another sweep's scatter of equal data.
                self._shared = self._client.scatter([shared], broadcast=True, hash=False)[0]
            except BaseException:
                self.close()
                raise

    def map_unordered(self, fn: Callable[..., Any], items: Sequence[Any]) -> Iterator[Any]:
        """Submit every item as its own task; yield results as they finish."""
        from dask.distributed import as_completed as dask_completed

        items = list(items)
        if self._shared is None:
            futures = self._client.map(fn, items, pure=False)
        else:
            # Every task names the scattered future; each worker resolves it to its own copy.
            futures = self._client.map(fn, items, [self._shared] * len(items), pure=False)
        try:
            for fut in dask_completed(futures):
                result = fut.result()
                fut.release()
                yield result
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def warm(self) -> None:
        """Run :func:`warm_worker` on every worker of the cluster."""
        self._client.run(warm_worker)

    def close(self) -> None:
        """Release the shared data, disconnect; stop the cluster if this backend started it."""
        if self._shared is not None:
            self._shared.release()
            self._shared = None
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


@contextmanager
def open_backend(
    workers: int = 1,
    *,
    dask: bool = False,
    scheduler: str | None = None,
    shared: Any = None,
) -> Iterator[Backend]:
    """Start the backend the arguments ask for and stop it afterwards.

    Args:
        workers: Worker processes (1 without Dask: run in this process).
        dask: Start a Dask ``LocalCluster`` with ``workers`` workers.
        scheduler: Join the Dask scheduler at this address.
        shared: A read-only value (e.g. a gold series) sent once to each worker; ``map_unordered``
            then calls ``fn(item, shared)``. None: nothing shared, calls are ``fn(item)``.

    Raises:
        ConfigError: Fewer than one worker, both ``dask`` and ``scheduler``, or Dask missing.
    """
    if workers < 1:
        raise ConfigError(f"workers: must be at least 1 (got {workers})")
    if dask and scheduler is not None:
        raise ConfigError("give either --dask (start a local cluster) or --scheduler, not both")
    backend: Backend
    if dask or scheduler is not None:
        backend = DaskCluster(workers, scheduler, shared)
    elif workers == 1:
        backend = InProcess(shared)
    else:
        backend = ProcessPool(workers, shared)
    try:
        yield backend
    finally:
        backend.close()
