"""`gramabm serve`: run the REST API with uvicorn (loopback only unless told otherwise)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[
        str,
        typer.Option("--host", help="Interface to bind (0.0.0.0 exposes the API to the network)."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Job database and files [GRAMABM_DATA_DIR or ./gramabm-data]."
        ),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve ingest, train, predict, simulate, experiments and analysis over HTTP.

    Limits, the API key (GRAMABM_API_KEY) and the worker backend (GRAMABM_WORKERS,
    GRAMABM_DASK_ADDRESS) come from GRAMABM_* environment variables.
    """
    import dataclasses
    import signal

    import uvicorn

    # uvicorn stops gracefully on SIGTERM, then raises the signal again with the handler it
    # found: with the default one the process dies by the signal, skipping the exit handlers
    # that release the worker pool's semaphores. This one exits normally instead, and also
    # covers a SIGTERM that arrives before uvicorn listens (while the workers start).
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)

    from gramabm.api import Settings, create_app

    settings = Settings.from_env()
    if data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=data_dir)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.key_required:
        typer.secho(
            f"warning: serving on {host} without GRAMABM_API_KEY: anyone who can reach the port "
            "can start jobs",
            fg=typer.colors.YELLOW,
            err=True,
        )
    import threading

    app = create_app(settings)
    # Workers start in the background: the first submitted job need not wait for them.
    threading.Thread(target=app.state.gramabm.jobs.warm, name="gramabm-warm", daemon=True).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level)
    finally:
        app.state.gramabm.close()  # stops every worker, whenever the server stops (idempotent)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(0)
