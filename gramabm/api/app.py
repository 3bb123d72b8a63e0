"""The application factory: one FastAPI app over the kit's functions, one router per function.

``create_app(settings)`` opens the data directory (marking jobs a previous server left active as
interrupted), wires the routers, maps the kit's errors to HTTP statuses, and puts the two guards
(API key, body size) in front of everything. Routers for experiments and sweep analysis are
included when their modules are installed.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gramabm.api.encoding import json_safe
from gramabm.api.jobs import JobStateError
from gramabm.api.schemas import error_responses
from gramabm.api.security import ApiKeyMiddleware, BodyLimitMiddleware, UnsafePathError
from gramabm.api.settings import Settings
from gramabm.api.state import ApiState
from gramabm.api.workers import QueueFullError
from gramabm.errors import GramabmError

DESCRIPTION = """\
Stress tests of Gram, a gold-backed stablecoin, as a service: ingest gold data, train holder
policies, predict with them, run simulations and experiments, and analyse the results. Long work
runs as jobs: submit, poll `status` and `progress`, cancel, then fetch results and files.
State-changing calls need the `X-API-Key` header when the server has a key.
"""

OPTIONAL_ROUTERS = ("gramabm.api.experiments", "gramabm.api.analysis", "gramabm.api.validate")
"""Routers included only when their module (and what it builds on) imports."""


def _routers() -> list[APIRouter]:
    from gramabm.api import ingest, predict, simulate, status, train

    routers = [status.router, ingest.router, train.router, predict.router, simulate.router]
    for name in OPTIONAL_ROUTERS:
        try:
            routers.append(importlib.import_module(name).router)
        except ModuleNotFoundError as exc:
            # Only a missing module of the experiments/analysis stack is expected here.
            if not (exc.name or "").startswith(
                ("gramabm.api.", "gramabm.sweeps", "gramabm.analysis")
            ):
                raise
    return routers


def _install_error_handlers(app: FastAPI) -> None:
    async def unsafe_path(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 400)

    async def conflict(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 409)

    async def busy(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 503, headers={"Retry-After": "5"})

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        # Any other error the kit raises on purpose is a bad request it could name.
        return JSONResponse(
            {"detail": [{"loc": ["body"], "msg": str(exc), "type": "value_error"}]}, 422
        )

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        # FastAPI's own handler echoes each bad input back; an overflowing number (1e999
        # parses as inf) would then break the JSON of the answer itself.
        # Undecodable bytes (a body that is not UTF-8) are shown with replacement characters.
        assert isinstance(exc, RequestValidationError)
        errors = jsonable_encoder(
            exc.errors(), custom_encoder={bytes: lambda b: b.decode("utf-8", "replace")}
        )
        return JSONResponse({"detail": json_safe(errors)}, 422)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(UnsafePathError, unsafe_path)
    app.add_exception_handler(JobStateError, conflict)
    app.add_exception_handler(QueueFullError, busy)
    app.add_exception_handler(GramabmError, invalid)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API over one data directory.

    Args:
        settings: Server settings (default: :meth:`Settings.from_env`).

    Returns:
        The application; its ``state.gramabm`` is the :class:`~gramabm.api.state.ApiState`.
    """
    from gramabm import __version__
    from gramabm.api.train import register_policy_hook

    settings = settings or Settings.from_env()
    state = ApiState.open(settings)
    register_policy_hook(state)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.reopen()  # a no-op on the first start
        state.jobs.resume()  # sweeps a stopped server left unfinished carry on
        yield
        state.close()

    app = FastAPI(
        title="gramabm",
        version=str(__version__),
        description=DESCRIPTION,
        lifespan=lifespan,
        # Any route may meet a malformed or oversize body (the guards answer before the route).
        responses=error_responses(400, 413),
    )
    app.state.gramabm = state
    app.state.api_key = settings.api_key or None
    for router in _routers():
        app.include_router(router)
    _install_error_handlers(app)
    # Added last, so outermost: the key is checked first, then the size; neither reads the body.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key)
    return app
