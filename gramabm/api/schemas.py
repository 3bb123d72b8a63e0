"""Request and response models of the API, with the limits a request must respect.

Pydantic checks every request body before a route runs; a violation is answered 422 with
FastAPI's usual ``detail`` list, each entry naming the field (``loc``) and the problem (``msg``).
Limits that depend on the server's settings (``holders × steps``, sweep size, prediction rows)
are checked by the routes and reported in the same shape through :func:`field_error`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from gramabm.api.registry import ID_PATTERN
from gramabm.policies.base import ACTIONS, FEATURES
from gramabm.preset_names import PresetName

Id = Annotated[str, Field(pattern=ID_PATTERN, description="32 lower-case hex digits")]
PathId = Annotated[str, Path(pattern=ID_PATTERN, description="32 lower-case hex digits")]
Scalar = float | int | bool | str | None
Name = Annotated[str, Field(min_length=1, max_length=100)]

MAX_STEPS = 1_000_000
MAX_HOLDERS = 1_000_000
MAX_OVERRIDES = 50


def field_error(loc: tuple[str | int, ...], msg: str) -> RequestValidationError:
    """A 422 error in FastAPI's shape, naming the field at ``loc`` (e.g. ``("body", "holders")``)."""
    return RequestValidationError([{"loc": loc, "msg": msg, "type": "value_error", "input": None}])


class StrictRequest(BaseModel):
    """A request body: unknown fields are refused (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid")


class ErrorMessage(BaseModel):
    """An error other than a validation error."""

    detail: str


# ----------------------------------------------------------------------------------- ingest


class BuiltinIngest(StrictRequest):
    """Ingest one of the built-in gold histories."""

    name: Name = Field("aer_goldsilver", description="built-in series name")


class ValidationReport(BaseModel):
    """What validation found in an accepted series (a refused one is a 422)."""

    ok: bool
    rows: int
    warnings: list[str]


class DatasetInfo(BaseModel):
    """A stored gold series."""

    id: str
    source: str
    start: str
    end: str
    rows: int
    validation: ValidationReport
    stylised_facts: dict[str, Any]


# ------------------------------------------------------------------------------------ jobs

JobStatus = Literal[
    "queued", "running", "succeeded", "partial", "failed", "cancelled", "interrupted"
]


class JobInfo(BaseModel):
    """A job: its request, status, progress and, once finished, result and files."""

    id: str
    kind: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    message: str
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    files: list[str]
    created: float
    started: float | None
    finished: float | None


# ----------------------------------------------------------------------------------- train


class TrainParams(StrictRequest):
    """Policy constructor parameters, bounded so one request cannot occupy a worker for hours.

    Logistic takes ``C``, ``max_iter``, ``tol``, ``class_weight``; gradient boosting takes
    ``learning_rate``, ``max_iter``, ``max_leaf_nodes``, ``max_depth``, ``min_samples_leaf``,
    ``l2_regularization``, ``max_bins``, ``class_weight``. Unset ones keep the family's defaults.
    """

    C: float | None = Field(None, gt=0, le=1e6, allow_inf_nan=False)
    max_iter: int | None = Field(None, ge=1, le=5_000)
    tol: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    learning_rate: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    max_leaf_nodes: int | None = Field(None, ge=2, le=64)
    max_depth: int | None = Field(None, ge=1, le=20)
    min_samples_leaf: float | None = Field(None, gt=0, le=100_000, allow_inf_nan=False)
    l2_regularization: float | None = Field(None, ge=0, le=1e6, allow_inf_nan=False)
    max_bins: int | None = Field(None, ge=2, le=255)
    class_weight: Literal["balanced"] | None = None


class TrainRequest(StrictRequest):
    """Fit a holder policy on a stored gold series (or the built-in history)."""

    dataset_id: Id | None = Field(None, description="an ingested series; default built-in")
    family: Literal["logistic", "gbt"] = "logistic"
    horizon: int = Field(5, ge=1, le=250, description="label look-ahead in rows (days)")
    risk_aversion: float = Field(3.0, ge=0, le=50, allow_inf_nan=False)
    threshold: float = Field(0.02, ge=0, le=1, allow_inf_nan=False)
    token_mode: Literal["augment", "zeros"] = "augment"
    validation_share: float = Field(0.25, ge=0.05, le=0.5, allow_inf_nan=False)
    seed: int = Field(0, ge=0, lt=2**32)
    params: TrainParams = Field(default_factory=lambda: TrainParams.model_validate({}))


class PolicyInfo(BaseModel):
    """A stored policy file."""

    id: str
    origin: str
    metadata: dict[str, Any]


# --------------------------------------------------------------------------------- predict

FEATURE_BOUNDS: dict[str, tuple[float, float, str]] = {
    "ret_1d": (-3.0, 3.0, "a log return (gold times e^±3 in a day is beyond any record)"),
    "ret_5d": (-3.0, 3.0, "a log return"),
    "ret_20d": (-3.0, 3.0, "a log return"),
    "vol_20d": (0.0, 10.0, "an annualised volatility, never negative"),
    "drawdown": (0.0, 1.0, "a fall from the high, as a fraction"),
    "deviation_bp": (-10_000.0, 100_000.0, "basis points; -10,000 is a price of zero"),
    "neighbour_panic": (0.0, 1.0, "a mean panic, 0..1"),
    "incident": (0.0, 1.0, "incident news, 1 when fresh, decaying to 0"),
    "own_pnl": (-1.0, 100.0, "a return as a fraction; a holder cannot lose more than all"),
}
"""The possible range of each policy feature (inclusive) and what it is: a state outside is a 422
naming the feature, never a prediction from an impossible input."""

HolderState = create_model(
    "HolderState",
    __config__=ConfigDict(extra="forbid"),
    __doc__="One holder's observed features (see gramabm.policies.base.FEATURES).",
    **{  # type: ignore[call-overload]
        name: (
            float,
            Field(
                allow_inf_nan=False,
                ge=FEATURE_BOUNDS[name][0],
                le=FEATURE_BOUNDS[name][1],
                description=FEATURE_BOUNDS[name][2],
            ),
        )
        for name in FEATURES
    },
)


class PredictRequest(StrictRequest):
    """A batch of holder states to score."""

    states: list[HolderState] = Field(min_length=1, max_length=100_000)


class PredictResponse(BaseModel):
    """Action probabilities, one row per state, columns in ``actions`` order."""

    policy_id: str
    actions: list[str] = Field(default_factory=lambda: list(ACTIONS))
    probabilities: list[list[float]]
    predicted: list[str]


# -------------------------------------------------------------------------------- simulate


class SimulateRequest(StrictRequest):
    """One run. Unset fields keep the model's defaults."""

    scenario: Name = "baseline"
    scenario_params: dict[Name, Scalar] = Field(default_factory=dict, max_length=20)
    seed: int = Field(0, ge=0, lt=2**63)
    steps: int | None = Field(None, ge=1, le=MAX_STEPS)
    holders: int | None = Field(None, ge=1, le=MAX_HOLDERS)
    preset: PresetName | None = None
    dataset_id: Id | None = Field(None, description="an ingested gold series; default built-in")
    policy_id: Id | None = Field(None, description="a stored policy; default rule-based")
    overrides: dict[Annotated[str, Field(min_length=1, max_length=100)], Scalar] = Field(
        default_factory=dict,
        max_length=MAX_OVERRIDES,
        description="dotted configuration keys, e.g. {'primary.mint_fee_bp': 25}",
    )

    @field_validator("overrides")
    @classmethod
    def _no_policy_path(cls, overrides: dict[str, Any]) -> dict[str, Any]:
        # A policy path would let a caller make the server open any file: policies come
        # only from the store, by policy_id.
        for key in overrides:
            if key.split(".")[-1] == "policy":
                raise ValueError(f"{key!r}: choose a policy with policy_id, not a path")
        return overrides


# ----------------------------------------------------------------------------- experiments


class ExperimentRequest(StrictRequest):
    """An experiment, as the tables of its TOML file (see :mod:`gramabm.sweeps.spec`).

    The gold history comes from ``dataset_id`` (a ``[data]`` table, which names a file, is
    refused: the server opens no path a caller names).
    """

    dataset_id: Id | None = Field(
        None, description="an ingested gold series for every run; default built-in"
    )
    spec: dict[str, Any] = Field(
        description="name, root_seed, scenarios, replications, steps, holders, base, "
        "scenario_params (per scenario), design, parameters: as in an experiment TOML file",
        examples=[
            {
                "name": "fees",
                "root_seed": 1,
                "steps": 48,
                "holders": 200,
                "parameters": {"primary.mint_fee_bp": [0, 50]},
            }
        ],
    )


# -------------------------------------------------------------------------------- analysis


class MetricsResponse(BaseModel):
    """Per design point and metric: ``n``, ``mean``, ``std``, ``ci_low``, ``ci_high``."""

    level: float
    method: str
    rows: list[dict[str, Any]]


class SensitivityResponse(BaseModel):
    """Sensitivity indices (tidy) and how well each method fitted."""

    indices: list[dict[str, Any]]
    fit: list[dict[str, Any]]


class RecommendationsResponse(BaseModel):
    """Lever settings ranked against their references, with every effect and a sentence each."""

    levers: list[str]
    metrics: list[str]
    reference: dict[str, Any]
    ranking: list[dict[str, Any]]
    effects: list[dict[str, Any]]
    sentences: list[str]


class RunSummary(BaseModel):
    """A finished run's summary: scenario, seed, steps and metrics."""

    model_config = ConfigDict(extra="allow")

    scenario: str
    seed: int
    steps: int
    metrics: dict[str, Any]


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "unavailable"]
    detail: str = ""


_DESCRIPTIONS = {
    400: "Bad request: a malformed body or an unsafe file name",
    401: "Missing or wrong API key",
    404: "No such resource",
    409: "The job is not in a state that allows this",
    413: "Body or upload over the size limit",
    503: "Too many jobs queued or running; retry later",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route may answer.

    The schema is given as JSON content explicitly: with ``model``, FastAPI would document it
    under the route's own media type (``text/html``, ``image/png``), but errors are JSON.
    """
    schema = ErrorMessage.model_json_schema()
    return {
        c: {
            "description": _DESCRIPTIONS[c],
            "content": {"application/json": {"schema": schema}},
        }
        for c in codes
    }
