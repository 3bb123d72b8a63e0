"""Analysis routes over a finished sweep: metrics, sensitivity, recommendations and the report.

Each route reads the sweep's result table and manifest from the job's directory
(:func:`gramabm.sweeps.read_results`, :func:`~gramabm.sweeps.read_manifest`) and calls one
function of :mod:`gramabm.analysis`: :func:`~gramabm.analysis.sweeps.aggregate.aggregate`,
:func:`~gramabm.analysis.sweeps.sensitivity.sensitivity`, :func:`~gramabm.analysis.sweeps.recommend.recommend`
or :func:`~gramabm.analysis.render.sweep_report.write_sweep_report`, with the defaults the HTML report
uses. An analysis the data cannot support (no lever varies, every run failed) is a 422 that says so.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from gramabm.api.encoding import json_safe
from gramabm.api.experiments import sweep_results
from gramabm.api.schemas import (
    MetricsResponse,
    PathId,
    RecommendationsResponse,
    SensitivityResponse,
    error_responses,
    field_error,
)
from gramabm.api.state import ApiState, get_state
from gramabm.errors import GramabmError
from gramabm.sweeps import read_manifest

router = APIRouter(prefix="/analysis", tags=["analysis"])

MetricsQuery = Annotated[
    list[Annotated[str, Query(min_length=1, max_length=100)]] | None,
    Query(max_length=30, description="metric names (default: the report's headline metrics)"),
]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json_safe(frame.to_dict(orient="records"))


def _metrics(results: pd.DataFrame, wanted: list[str] | None) -> list[str]:
    from gramabm.analysis.render.sweep_report import REPORT_METRICS
    from gramabm.analysis.sweeps.aggregate import metric_column

    if wanted:
        return wanted
    return [m for m in REPORT_METRICS if metric_column(m) in results.columns]


def _inputs(state: ApiState, job_id: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    results = sweep_results(state, job_id)
    return results, read_manifest(state.jobs.job_dir(job_id)) or {}


def _refused(exc: GramabmError, wanted: list[str] | None) -> Exception:
    loc = ("query", "metrics") if wanted else ("path", "job_id")
    return field_error(loc, str(exc))


@router.get(
    "/{job_id}/metrics",
    response_model=MetricsResponse,
    responses=error_responses(404, 409),
    summary="Metrics per design point, with intervals",
)
def sweep_metrics(
    job_id: PathId,
    state: Annotated[ApiState, Depends(get_state)],
    metrics: MetricsQuery = None,
    level: Annotated[float, Query(gt=0.5, lt=1.0)] = 0.95,
    method: Literal["t", "bootstrap"] = "t",
) -> dict[str, Any]:
    """Mean, std and confidence interval of each metric over the seeds of each design point."""
    from gramabm.analysis.sweeps.aggregate import aggregate

    results, _ = _inputs(state, job_id)
    try:
        table = aggregate(results, _metrics(results, metrics), level=level, method=method)
    except GramabmError as exc:
        raise _refused(exc, metrics) from exc
    return {"level": level, "method": method, "rows": _records(table)}


@router.get(
    "/{job_id}/sensitivity",
    response_model=SensitivityResponse,
    responses=error_responses(404, 409),
    summary="Global sensitivity of the metrics to the swept parameters",
)
def sweep_sensitivity(
    job_id: PathId,
    state: Annotated[ApiState, Depends(get_state)],
    metrics: MetricsQuery = None,
    model: Literal["forest", "boosting"] = "forest",
    seed: Annotated[int, Query(ge=0, lt=2**32)] = 0,
) -> dict[str, Any]:
    """Sobol' indices for a Sobol' design, else surrogate permutation importance (with its R²)."""
    from gramabm.analysis.sweeps.sensitivity import sensitivity

    results, manifest = _inputs(state, job_id)
    try:
        res = sensitivity(
            results, _metrics(results, metrics), manifest=manifest, model=model, seed=seed
        )
    except GramabmError as exc:
        raise _refused(exc, metrics) from exc
    return {"indices": _records(res.indices), "fit": _records(res.fit)}


@router.get(
    "/{job_id}/recommendations",
    response_model=RecommendationsResponse,
    responses=error_responses(404, 409),
    summary="Lever settings ranked by their effect on stability",
)
def sweep_recommendations(
    job_id: PathId,
    state: Annotated[ApiState, Depends(get_state)],
    metrics: MetricsQuery = None,
    level: Annotated[float, Query(gt=0.5, lt=1.0)] = 0.95,
) -> dict[str, Any]:
    """Each lever setting against its reference, matched on the other parameters, ranked."""
    from gramabm.analysis.sweeps.aggregate import ok_runs
    from gramabm.analysis.sweeps.recommend import (
        STABILITY_METRICS,
        default_levers,
        recommend,
        reference_from_config,
    )

    results, manifest = _inputs(state, job_id)
    levers = default_levers(ok_runs(results), manifest.get("roles"))
    chosen = [m for m in _metrics(results, metrics) if metrics or m in STABILITY_METRICS]
    reference = reference_from_config(manifest.get("base_config") or {}, levers)
    try:
        rec = recommend(
            results,
            levers=levers or None,
            metrics=chosen,
            reference=reference,
            roles=manifest.get("roles"),
            level=level,
        )
    except GramabmError as exc:
        raise _refused(exc, metrics) from exc
    return {
        "levers": levers,
        "metrics": chosen,
        "reference": json_safe(reference),
        "ranking": _records(rec.ranking),
        "effects": _records(rec.effects),
        "sentences": rec.sentences(),
    }


@router.get(
    "/{job_id}/report",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "Self-contained HTML"},
        **error_responses(404, 409),
    },
    summary="The sweep's HTML report",
)
def sweep_report(job_id: PathId, state: Annotated[ApiState, Depends(get_state)]) -> HTMLResponse:
    """Tables, figures, sensitivity, scenario discovery and recommendations in one page."""
    from gramabm import __version__
    from gramabm.analysis.render.sweep_report import write_sweep_report

    results, manifest = _inputs(state, job_id)
    # A finished sweep's results never change: its report is built once per gramabm version
    # and served from the cache afterwards.
    cached = state.settings.data_dir / "cache" / "reports" / f"{job_id}-{__version__}.html"
    if cached.is_file():
        return HTMLResponse(cached.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="gramabm-report-") as tmp:
        try:
            path = write_sweep_report(results, Path(tmp, "report.html"), spec_meta=manifest)
        except GramabmError as exc:
            raise _refused(exc, None) from exc
        html = path.read_text(encoding="utf-8")
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".{cached.name}.{uuid.uuid4().hex}.tmp")
    partial.write_text(html, encoding="utf-8")
    partial.replace(cached)  # atomic: a reader never sees half a page
    return HTMLResponse(html)
