"""The work a job does, run inside a worker (a pool process or a Dask worker).

Each task takes plain data (a configuration dict, a price series, a policy file's bytes), calls
the one package function the CLI calls for the same thing, writes its files into a temporary
directory and returns them as bytes with a JSON-safe result, so a Dask worker on another machine
needs no shared disk.

A sweep whose payload names its ``job_dir`` (the server's local pool, whose workers share the
server's disk) writes there instead, each run the moment it finishes (as ``gramabm sweep`` does):
a crash loses only the runs in flight, and running the job again resumes it. Temporary
directories go under the payload's ``scratch_root`` when given, which the server empties when it
starts (a killed job leaves nothing behind for long).
"""

from __future__ import annotations

import ctypes
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gramabm.api.encoding import json_safe
from gramabm.api.validate_task import validate_task
from gramabm.api.workers import Channel, JobCancelledError
from gramabm.errors import ConfigError

TaskFn = Callable[[dict[str, Any], Path, Path, Channel], dict[str, Any]]


def simulate_task(payload: dict[str, Any], out: Path, scratch: Path, channel: Channel) -> Any:
    """One run: :func:`gramabm.simulation.simulate` then :func:`~gramabm.simulation.write_run`.

    Payload keys: ``config`` (nested dict), ``seed``, ``prices`` (Series or None) and
    ``policy_file`` (bytes of a skops policy file, or None for the rule-based policy).
    """
    from gramabm.config import build_config
    from gramabm.simulation import simulate, write_run

    config = build_config(payload["config"])
    if payload.get("policy_file") is not None:
        # The policy travels as bytes and is loaded by simulate() through skops' allow-list.
        path = scratch / "policy.skops"
        path.write_bytes(payload["policy_file"])
        config = config.with_updates({"holders.policy": str(path)})
    steps = config.steps
    output = simulate(
        config,
        payload["seed"],
        prices=payload.get("prices"),
        progress=lambda step: channel.report(0.95 * step / steps),
    )
    write_run(output, out)
    return output.summary()


def train_task(payload: dict[str, Any], out: Path, scratch: Path, channel: Channel) -> Any:
    """Fit a policy with :func:`gramabm.policies.training.train_policy` and save it with skops.

    Payload keys: ``prices`` (Series or None for the built-in history) and ``options`` (keyword
    arguments of ``train_policy``).
    """
    from gramabm.data.loaders import load_builtin
    from gramabm.policies.io import read_metadata, save_policy
    from gramabm.policies.training import train_policy

    prices = payload.get("prices")
    if prices is None:
        prices = load_builtin()
    policy, report = train_policy(prices, **payload["options"])
    channel.report(0.9)
    path = save_policy(policy, out / "policy.skops", report)
    return {"report": report.to_dict(), "metadata": read_metadata(path)}


class _Interrupt(BaseException):
    """Raised into a working thread to stop it.

    A BaseException, so work that records each failed unit and carries on (``except Exception``)
    still stops.
    """


def _raise_in_thread(thread_id: int, exc_type: type[BaseException]) -> None:
    """Raise ``exc_type`` in another thread of this process at its next bytecode."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type)
    )


@contextmanager
def watched(
    channel: Channel, fraction: Callable[[], float], interval: float = 0.5
) -> Iterator[None]:
    """Report ``fraction()`` every ``interval`` seconds while the block runs.

    For work that takes no progress callback (a sweep): a watcher thread reports for it and,
    when the job is cancelled, interrupts the block's thread, which then raises
    :class:`JobCancelledError`.
    """
    target = threading.get_ident()
    stop = threading.Event()
    lock = threading.Lock()

    def watch() -> None:
        while not stop.wait(interval):
            try:
                channel.report(fraction())
            except JobCancelledError:
                with lock:
                    if not stop.is_set():
                        _raise_in_thread(target, _Interrupt)
                return
            except Exception:  # a failed report (scheduler hiccup) must not end the job
                continue

    thread = threading.Thread(target=watch, name="gramabm-job-watcher", daemon=True)
    thread.start()
    try:
        yield
    except _Interrupt:
        raise JobCancelledError("cancelled at the caller's request") from None
    finally:
        with lock:
            stop.set()
        thread.join()


def sweep_task(payload: dict[str, Any], out: Path, scratch: Path, channel: Channel) -> Any:
    """An experiment: :func:`gramabm.sweeps.run_sweep` in this worker, one run at a time.

    Payload keys: ``spec`` (the experiment as a mapping, as in its TOML file), ``prices`` (the
    dataset's Series, or None for the built-in history), ``dataset_id`` (echoed in the result)
    and, optionally, ``job_dir`` (write the runs there as they finish; see the module's notes).
    Progress is the share of runs on disk, watched while the sweep runs.
    """
    from gramabm.sweeps import expand, parse_spec, read_manifest, run_sweep
    from gramabm.sweeps.store import finished_run_ids

    if payload.get("job_dir"):
        out = Path(payload["job_dir"])
    spec = parse_spec(payload["spec"], "spec")
    total = max(len(expand(spec)), 1)
    with watched(channel, lambda: 0.95 * len(finished_run_ids(out)) / total):
        summary = run_sweep(spec, out, workers=1, progress=False, prices=payload.get("prices"))
    return {
        "dataset_id": payload.get("dataset_id"),
        "data": {"source": summary.data_source, "digest": summary.data_digest},
        "total": summary.total,
        "executed": summary.executed,
        "skipped": summary.skipped,
        "failed": summary.failed + summary.failed_before,
        "failed_ids": summary.failed_ids,
        "first_error": summary.first_error,
        "elapsed_s": summary.elapsed_s,
        "manifest": read_manifest(out),
    }


def verdict(kind: str, result: Any) -> tuple[str, str | None]:
    """The final status of a job that returned, and its error.

    A sweep with failed runs is not ``succeeded`` but ``partial`` (some runs failed) or
    ``failed`` (all did), with the first error.
    """
    if kind == "sweep" and isinstance(result, dict) and result.get("failed"):
        failed, total = int(result["failed"]), int(result.get("total") or 0)
        error = f"{failed} of {total} runs failed; first error: {result.get('first_error', '')}"
        return ("failed" if failed >= total else "partial"), error
    return "succeeded", None


TASKS: dict[str, TaskFn] = {
    "simulate": simulate_task,
    "train": train_task,
    "sweep": sweep_task,
    "validate": validate_task,
}
"""Task functions by job kind."""


def run_job(kind: str, payload: dict[str, Any], *, channel: Channel) -> dict[str, Any]:
    """Run the task of ``kind`` and return its result and files.

    Args:
        kind: The job kind (a key of :data:`TASKS`).
        payload: The task's input.
        channel: Where progress goes and cancellation comes from.

    Returns:
        ``{"result": <JSON-safe>, "warnings": [str], "files": {relative path: bytes}}``.

    Raises:
        ConfigError: Unknown kind.
        JobCancelledError: The job was cancelled while it ran.
    """
    if kind not in TASKS:
        raise ConfigError(f"unknown job kind {kind!r}")
    channel.report(0.0)
    scratch_root = payload.get("scratch_root")
    if scratch_root:
        Path(scratch_root).mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="gramabm-job-", dir=scratch_root or None) as tmp,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        out, scratch = Path(tmp, "out"), Path(tmp, "scratch")
        out.mkdir()
        scratch.mkdir()
        result = TASKS[kind](payload, out, scratch, channel)
        files = {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file()
        }
    messages = sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)})
    # A task that wrote into its job directory itself returns no file bytes.
    in_place = bool(payload.get("job_dir")) and kind == "sweep"
    return {"result": json_safe(result), "warnings": messages, "files": files, "in_place": in_place}
