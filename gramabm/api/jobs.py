"""Jobs: long work queued on a worker backend, with status, progress, cancel and persistence.

A job's record lives in the SQLite ``jobs`` table from the moment it is queued; its files go
under ``<data dir>/jobs/<id>/`` before the record says ``succeeded``, so a finished job survives
a restart whole. When a server starts, every job the database still shows as queued or running
belonged to a server that stopped without finishing it: those are marked ``interrupted``. A server
that shuts down cleanly asks its running jobs to stop and marks them ``interrupted`` too.

**Resumable kinds** (sweeps) are the exception: their workers write each finished run into the
job's directory, so a job a server left unfinished (crash, kill or clean shutdown) is queued
again by :meth:`JobManager.resume` when the next server starts, and runs only what is missing.
Temporary directories of jobs live under ``<data dir>/tmp``, emptied when a server starts.

Statuses: ``queued`` → ``running`` → ``succeeded`` | ``partial`` | ``failed`` | ``cancelled`` |
``interrupted``. ``partial``: a sweep finished with some runs failed (the first error is given).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from gramabm.api.db import Database
from gramabm.api.encoding import json_safe
from gramabm.api.tasks import run_job, verdict
from gramabm.api.workers import JobCancelledError
from gramabm.errors import GramabmError

ACTIVE: tuple[str, ...] = ("queued", "running")
TERMINAL: tuple[str, ...] = ("succeeded", "partial", "failed", "cancelled", "interrupted")
STATUSES: tuple[str, ...] = ACTIVE + TERMINAL

Hook = Callable[[str, dict[str, Any], Path], dict[str, Any]]
"""Called as ``hook(job_id, result, job_dir)`` after a job's files are written; returns the
result to store (e.g. with the id of a policy it registered)."""

Resumer = Callable[["Job"], dict[str, Any]]
"""Rebuilds the payload of an unfinished job from its record, to queue it again after a restart;
raises :class:`~gramabm.errors.GramabmError` when it cannot (the job is then marked failed)."""

PAUSED = "paused: resumes when the server starts again"


class JobStateError(GramabmError):
    """The job is not in a state that allows the operation (e.g. cancelling a finished job)."""


class Backend(Protocol):
    """What :class:`JobManager` needs from a worker backend (see :mod:`gramabm.api.workers`)."""

    name: str
    shares_disk: bool

    def submit(self, job_id: str, fn: Callable[..., Any], *args: Any) -> Any: ...  # noqa: D102
    def warm(self) -> None: ...  # noqa: D102
    def progress(self, job_id: str) -> tuple[bool, float]: ...  # noqa: D102
    def request_cancel(self, job_id: str) -> None: ...  # noqa: D102
    def release(self, job_id: str) -> None: ...  # noqa: D102
    def healthy(self) -> bool: ...  # noqa: D102
    def close(self) -> None: ...  # noqa: D102


@dataclass(frozen=True)
class Job:
    """A job record as the API shows it."""

    id: str
    kind: str
    status: str
    progress: float
    message: str
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    files: list[str]
    created: float
    started: float | None
    finished: float | None

    @property
    def done(self) -> bool:
        """Whether the job has reached a final status."""
        return self.status in TERMINAL

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        """Build from a ``jobs`` table row."""
        return cls(
            id=row["id"],
            kind=row["kind"],
            status=row["status"],
            progress=float(row["progress"]),
            message=row["message"],
            request=json.loads(row["request"]),
            result=None if row["result"] is None else json.loads(row["result"]),
            error=row["error"],
            files=json.loads(row["files"]),
            created=row["created"],
            started=row["started"],
            finished=row["finished"],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _dumps(value: Any) -> str:
    return json.dumps(json_safe(value), allow_nan=False, sort_keys=True)


class JobManager:
    """Queues jobs on a backend and keeps their records.

    Args:
        db: The database.
        jobs_dir: Where each job's files go (``jobs_dir/<id>/``).
        backend_factory: Makes the backend on first use (so a server that runs no job starts
            no worker).
        poll_interval: Seconds between progress polls of running jobs.
        resumers: Kinds whose unfinished jobs are queued again after a restart, each with the
            function that rebuilds a job's payload (see :meth:`resume`).
        scratch_dir: Parent of the jobs' temporary directories (default ``jobs_dir/../tmp``),
            emptied here: what is in it belonged to jobs of a server that stopped.
    """

    def __init__(
        self,
        db: Database,
        jobs_dir: Path,
        backend_factory: Callable[[], Backend],
        *,
        poll_interval: float = 0.25,
        resumers: dict[str, Resumer] | None = None,
        scratch_dir: Path | None = None,
    ) -> None:
        self.db = db
        self.jobs_dir = Path(jobs_dir)
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.scratch_dir = Path(scratch_dir or self.jobs_dir.parent / "tmp")
        shutil.rmtree(self.scratch_dir, ignore_errors=True)
        self._resumers = dict(resumers or {})
        self.owner = uuid.uuid4().hex
        self.poll_interval = poll_interval
        self._factory = backend_factory
        self._backend: Backend | None = None
        self._active: dict[str, Any] = {}
        self._hooks: dict[str, Hook] = {}
        self._lock = threading.RLock()
        self._closing = False
        self._warming = False
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self.recovered = self._mark_interrupted(
            "interrupted: the server stopped before this job finished"
        )

    # ------------------------------------------------------------------------- public API

    def on_success(self, kind: str, hook: Hook) -> None:
        """Run ``hook`` after each successful job of ``kind`` (before it is marked succeeded)."""
        self._hooks[kind] = hook

    @property
    def backend(self) -> Backend:
        """The worker backend (made on first use)."""
        with self._lock:
            if self._backend is None:
                self._backend = self._factory()
            return self._backend

    def submit(self, kind: str, request: dict[str, Any], payload: dict[str, Any]) -> Job:
        """Record a job and queue it.

        Args:
            kind: Task kind (a key of :data:`gramabm.api.tasks.TASKS`).
            request: The validated request, stored with the record (JSON-ready).
            payload: The task's input (may hold Series and bytes; not stored).

        Raises:
            QueueFullError: The backend has no room; nothing is recorded.
            GramabmError: The server is shutting down.
        """
        if self._closing:
            raise JobStateError("the server is shutting down; no new jobs")
        job_id = uuid.uuid4().hex
        self.db.execute(
            "INSERT INTO jobs (id, kind, status, message, request, owner, created) "
            "VALUES (?, ?, 'queued', 'queued', ?, ?, ?)",
            (job_id, kind, _dumps(request), self.owner, time.time()),
        )
        try:
            self._launch(job_id, kind, payload)
        except BaseException:
            self.db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            raise
        job = self.get(job_id)
        assert job is not None
        return job

    def resume(self) -> list[str]:
        """Queue again the unfinished jobs of resumable kinds (call once the server is up).

        Returns:
            The ids queued again. A job whose payload cannot be rebuilt is marked failed.
        """
        if not self._resumers or self._closing:
            return []
        marks = ",".join("?" * len(self._resumers))
        rows = self.db.query(
            f"SELECT * FROM jobs WHERE status IN (?, ?) AND kind IN ({marks}) ORDER BY created",
            [*ACTIVE, *self._resumers],
        )
        resumed = []
        for row in rows:
            job = Job.from_row(row)
            with self._lock:
                if job.id in self._active:
                    continue
            self.db.execute(
                "UPDATE jobs SET owner = ?, status = 'queued', message = ? WHERE id = ?",
                (self.owner, "resumed after a restart", job.id),
            )
            try:
                self._launch(job.id, job.kind, self._resumers[job.kind](job))
            except GramabmError as exc:
                self._close_record(job.id, "failed", "failed", error=f"cannot resume: {exc}")
                continue
            resumed.append(job.id)
        return resumed

    def _launch(self, job_id: str, kind: str, payload: dict[str, Any]) -> None:
        backend = self.backend
        payload = {**payload, "scratch_root": str(self.scratch_dir)}
        if getattr(backend, "shares_disk", False):
            payload["job_dir"] = str(self.job_dir(job_id))
        future = backend.submit(job_id, run_job, kind, payload)
        with self._lock:
            self._active[job_id] = future
        future.add_done_callback(lambda f, job_id=job_id: self._finished(job_id, f))
        self._ensure_monitor()

    def warm(self) -> None:
        """Start the backend's workers ahead of the first job (call from a background thread).

        The manager reports itself unhealthy (not ready) until they are up.
        """
        self._warming = True
        try:
            self.backend.warm()
        finally:
            self._warming = False

    def get(self, job_id: str) -> Job | None:
        """The job's record with its live progress, or ``None`` if there is no such job."""
        row = self.db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            return None
        if row["status"] in ACTIVE and job_id in self._active:
            started, fraction = self.backend.progress(job_id)
            if started:
                row = {**row, "status": "running", "progress": max(row["progress"], fraction)}
                if row["message"] == "queued":
                    row["message"] = "running"
        return Job.from_row(row)

    def find(
        self, kind: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[Job]:
        """Jobs, newest first, optionally of one kind and status."""
        sql, params = "SELECT * FROM jobs WHERE 1 = 1", list[Any]()
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        sql += " ORDER BY created DESC, id LIMIT ?"
        params.append(limit)
        return [Job.from_row(r) for r in self.db.query(sql, params)]

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once, or ask a running one to stop at its next report.

        Raises:
            KeyError: No such job.
            JobStateError: The job has already finished, or belongs to no running server.
        """
        job = self.get(job_id)
        if job is None:
            raise KeyError(job_id)
        if job.done:
            raise JobStateError(f"job {job_id} has already finished ({job.status})")
        with self._lock:
            future = self._active.get(job_id)
        if future is None:
            raise JobStateError(f"job {job_id} is not running on this server")
        self.backend.request_cancel(job_id)
        self.db.execute(
            "UPDATE jobs SET message = 'cancel requested' WHERE id = ? AND status IN (?, ?)",
            (job_id, *ACTIVE),
        )
        # A job that has not started is dropped from the queue (its callback marks it).
        future.cancel()
        current = self.get(job_id)
        assert current is not None
        return current

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job has finished (for tests and the CLI), then return it.

        Raises:
            KeyError: No such job.
            TimeoutError: It did not finish within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if job.done:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.status} after {timeout} s")
            time.sleep(0.05)

    def job_dir(self, job_id: str) -> Path:
        """Directory of a job's files."""
        return self.jobs_dir / job_id

    def healthy(self) -> bool:
        """Whether the database answers and the backend (if started and warm) takes jobs."""
        with self._lock:
            backend = self._backend
        if self._warming:
            return False
        return self.db.ping() and (backend is None or backend.healthy())

    def close(self) -> None:
        """Stop: running jobs are asked to stop and, with queued ones, marked interrupted."""
        with self._lock:
            self._closing = True
            backend = self._backend
        if backend is not None:
            backend.close()
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=5)
        self._mark_interrupted("interrupted: the server shut down before this job finished")

    # ----------------------------------------------------------------------------- internals

    def _mark_interrupted(self, message: str) -> int:
        # At start: every active job (its server is gone). At close: this server's own.
        # Resumable kinds are left queued: the next server resumes them.
        where = "status IN (?, ?)" + (" AND owner = ?" if self._closing else "")
        params: tuple[Any, ...] = (*ACTIVE, self.owner) if self._closing else ACTIVE
        kinds = tuple(self._resumers)
        if kinds:
            where += f" AND kind NOT IN ({','.join('?' * len(kinds))})"
            if self._closing:
                self.db.execute(
                    "UPDATE jobs SET status = 'queued', message = ? WHERE status IN (?, ?) "
                    f"AND owner = ? AND kind IN ({','.join('?' * len(kinds))})",
                    (PAUSED, *ACTIVE, self.owner, *kinds),
                )
        return self.db.execute(
            f"UPDATE jobs SET status = 'interrupted', message = ?, finished = ? WHERE {where}",
            (message, time.time(), *params, *kinds),
        )

    def _ensure_monitor(self) -> None:
        with self._lock:
            if self._monitor is None or not self._monitor.is_alive():
                self._monitor = threading.Thread(
                    target=self._poll, name="gramabm-job-monitor", daemon=True
                )
                self._monitor.start()

    def _poll(self) -> None:
        """Copy live progress of this server's jobs into the database."""
        while not self._stop.wait(self.poll_interval):
            with self._lock:
                ids = list(self._active)
            for job_id in ids:
                try:
                    started, fraction = self.backend.progress(job_id)
                except OSError:
                    continue
                if started:
                    self.db.execute(
                        "UPDATE jobs SET status = 'running', progress = MAX(progress, ?), "
                        "started = COALESCE(started, ?), "
                        "message = CASE message WHEN 'queued' THEN 'running' ELSE message END "
                        "WHERE id = ? AND owner = ? AND status IN (?, ?)",
                        (fraction, time.time(), job_id, self.owner, *ACTIVE),
                    )

    def _finished(self, job_id: str, future: Any) -> None:
        """Record how a job ended (runs in the backend's callback thread)."""
        try:
            self._record_outcome(job_id, future)
        finally:
            with self._lock:
                self._active.pop(job_id, None)
                backend = self._backend
            if backend is not None:
                backend.release(job_id)

    def _record_outcome(self, job_id: str, future: Any) -> None:
        stopped = "interrupted" if self._closing else "cancelled"
        why = (
            "interrupted: the server shut down before this job finished"
            if self._closing
            else "cancelled at the caller's request"
        )
        kind = self._kind(job_id)
        if self._closing and kind in self._resumers:
            stopped_by_shutdown = future.cancelled() or isinstance(
                future.exception(), JobCancelledError | BrokenProcessPool
            )
            if stopped_by_shutdown:
                # Its finished runs are on disk: left queued, the next server resumes it.
                self._pause_record(job_id)
                return
        try:
            output = future.result()
        except (CancelledError, JobCancelledError):
            self._close_record(job_id, stopped, why)
            return
        except BrokenProcessPool:
            if self._closing:
                self._close_record(job_id, stopped, why)
                return
            self._close_record(
                job_id,
                "failed",
                "failed",
                error="the worker process died (killed or out of memory)",
            )
            return
        except GramabmError as exc:
            self._close_record(job_id, "failed", "failed", error=str(exc))
            return
        except Exception as exc:  # a bug in a task must not take the server down
            self._close_record(job_id, "failed", "failed", error=f"{type(exc).__name__}: {exc}")
            return
        try:
            files, result = self._store_output(job_id, output)
        except (OSError, GramabmError) as exc:
            self._close_record(job_id, "failed", "failed", error=f"storing the result: {exc}")
            return
        status, error = verdict(kind, result)
        message = error or "; ".join(output.get("warnings", ())) or "done"
        self._close_record(
            job_id, status, message, result=result, files=files, error=error, progress=1.0
        )

    def _pause_record(self, job_id: str) -> None:
        self.db.execute(
            "UPDATE jobs SET status = 'queued', message = ? WHERE id = ? AND owner = ? "
            "AND status IN (?, ?)",
            (PAUSED, job_id, self.owner, *ACTIVE),
        )

    def _store_output(self, job_id: str, output: dict[str, Any]) -> tuple[list[str], Any]:
        target = self.job_dir(job_id)
        if output.get("in_place"):
            # The task wrote into the job's directory itself (a sweep, run by run).
            names = sorted(
                p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()
            )
            result = output["result"]
            hook = self._hooks.get(self._kind(job_id))
            return names, result if hook is None else hook(job_id, result, target)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        names = []
        for name, data in output["files"].items():
            rel = PurePosixPath(name)
            # Paths come from our own task, but a file name is never trusted to stay inside.
            if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                raise JobStateError(f"task returned an unsafe file name {name!r}")
            path = target.joinpath(*rel.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            names.append(rel.as_posix())
        result = output["result"]
        hook = self._hooks.get(self._kind(job_id))
        if hook is not None:
            result = hook(job_id, result, target)
        return sorted(names), result

    def _kind(self, job_id: str) -> str:
        row = self.db.one("SELECT kind FROM jobs WHERE id = ?", (job_id,))
        return "" if row is None else row["kind"]

    def _close_record(
        self,
        job_id: str,
        status: str,
        message: str,
        *,
        result: Any = None,
        files: list[str] | None = None,
        error: str | None = None,
        progress: float | None = None,
    ) -> None:
        # Only a record this server still owns as active is closed: a newer server that
        # marked it interrupted has the last word.
        self.db.execute(
            "UPDATE jobs SET status = ?, message = ?, result = ?, files = ?, error = ?, "
            "progress = COALESCE(?, progress), finished = ?, started = COALESCE(started, ?) "
            "WHERE id = ? AND owner = ? AND status IN (?, ?)",
            (
                status,
                message,
                None if result is None else _dumps(result),
                json.dumps(files or []),
                error,
                progress,
                time.time(),
                time.time() if status in ("succeeded", "partial") else None,
                job_id,
                self.owner,
                *ACTIVE,
            ),
        )
