"""What one server holds: its settings, database, stores and job manager."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException, Request

from gramabm.api.db import Database
from gramabm.api.jobs import Backend, Hook, Job, JobManager
from gramabm.api.registry import Datasets, Policies
from gramabm.api.resume import sweep_resumer
from gramabm.api.settings import Settings


def make_backend(settings: Settings) -> Backend:
    """The worker backend the settings ask for: Dask when an address is set, else local."""
    if settings.dask_address:
        from gramabm.api.workers import DaskBackend

        return DaskBackend(settings.dask_address, settings.max_active_jobs)
    from gramabm.api.workers import LocalBackend

    return LocalBackend(settings.workers, settings.max_active_jobs)


@dataclass
class ApiState:
    """The server's resources, opened on one data directory.

    A closed state (after the app's lifespan ended) is opened again by :meth:`reopen` when a new
    lifespan starts, as a restarted server would: jobs left active are marked interrupted.
    """

    settings: Settings
    db: Database
    jobs: JobManager
    datasets: Datasets
    policies: Policies
    hooks: dict[str, Hook] = field(default_factory=dict)
    closed: bool = False

    @classmethod
    def open(cls, settings: Settings) -> ApiState:
        """Open (or create) the data directory.

        Jobs a previous server left queued or running are marked interrupted.
        """
        return cls(settings, *cls._components(settings))

    @staticmethod
    def _components(settings: Settings) -> tuple[Database, JobManager, Datasets, Policies]:
        root = settings.data_dir
        root.mkdir(parents=True, exist_ok=True)
        db = Database(root / "gramabm.sqlite3")
        datasets = Datasets(db, root / "datasets")
        jobs = JobManager(
            db,
            root / "jobs",
            lambda: make_backend(settings),
            resumers={"sweep": sweep_resumer(datasets)},
            scratch_dir=root / "tmp",
        )
        return (db, jobs, datasets, Policies(db, root / "policies"))

    def on_success(self, kind: str, hook: Hook) -> None:
        """Run ``hook`` after each successful job of ``kind`` (kept across :meth:`reopen`)."""
        self.hooks[kind] = hook
        self.jobs.on_success(kind, hook)

    def reopen(self) -> None:
        """Open the resources again after :meth:`close`."""
        if not self.closed:
            return
        self.db, self.jobs, self.datasets, self.policies = self._components(self.settings)
        for kind, hook in self.hooks.items():
            self.jobs.on_success(kind, hook)
        self.closed = False

    def close(self) -> None:
        """Stop the jobs and close the database (a second call does nothing)."""
        if self.closed:
            return
        self.closed = True
        self.jobs.close()
        self.db.close()


def get_state(request: Request) -> ApiState:
    """Route dependency: the server's :class:`ApiState`."""
    return request.app.state.gramabm


def job_or_404(state: ApiState, job_id: str, kind: str | None = None) -> Job:
    """The job, or a 404 naming it (also when it is of another kind than the route serves).

    Raises:
        HTTPException: 404.
    """
    job = state.jobs.get(job_id)
    if job is None or (kind is not None and job.kind != kind):
        what = f"{kind} job" if kind else "job"
        raise HTTPException(404, f"no {what} {job_id}")
    return job


def finished_or_409(job: Job) -> Job:
    """The job if it succeeded (or, a sweep, finished with some runs failed), else a 409.

    Raises:
        HTTPException: 409.
    """
    if job.status not in ("succeeded", "partial"):
        detail = f"job {job.id} is {job.status}"
        if job.error:
            detail += f": {job.error}"
        raise HTTPException(409, detail)
    return job
