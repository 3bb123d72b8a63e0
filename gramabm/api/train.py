"""Train routes: fit a holder policy on a stored series as a job; the fitted file joins the store.

The job runs :func:`gramabm.policies.training.train_policy` and saves the policy with
:func:`gramabm.policies.io.save_policy` (the calls ``gramabm policy train`` makes); when it
succeeds, the file is checked and stored like an upload and its ``policy_id`` added to the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from gramabm.api.ingest import dataset_prices
from gramabm.api.schemas import JobInfo, PathId, TrainRequest, error_responses, field_error
from gramabm.api.security import require_api_key
from gramabm.api.state import ApiState, get_state, job_or_404

router = APIRouter(tags=["train"])


def register_policy_hook(state: ApiState) -> None:
    """Store each trained policy file when its job succeeds."""

    def hook(job_id: str, result: dict[str, Any], job_dir: Path) -> dict[str, Any]:
        record = state.policies.add_file(job_dir / "policy.skops", origin=f"job:{job_id}")
        return {**result, "policy_id": record["id"]}

    state.on_success("train", hook)


@router.post(
    "/train",
    status_code=202,
    response_model=JobInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 503),
    summary="Train a policy (job)",
)
def train(
    body: TrainRequest, response: Response, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Queue a training job; poll ``/train/{job_id}``; its result names the stored policy."""
    from gramabm.errors import ConfigError
    from gramabm.policies.training import make_policy

    params = body.params.model_dump(exclude_none=True)
    try:
        make_policy(body.family, params)  # refuses parameters of the other family
    except ConfigError as exc:
        raise field_error(("body", "params"), str(exc)) from exc
    prices = dataset_prices(state, body.dataset_id)
    options = {**body.model_dump(exclude={"dataset_id", "params"}), "params": params}
    job = state.jobs.submit(
        "train", body.model_dump(mode="json"), {"prices": prices, "options": options}
    )
    response.headers["Location"] = f"/train/{job.id}"
    return job.to_dict()


@router.get(
    "/train/{job_id}",
    response_model=JobInfo,
    responses=error_responses(404),
    summary="A training job",
)
def train_status(job_id: PathId, state: Annotated[ApiState, Depends(get_state)]) -> dict[str, Any]:
    """Status, progress and (when done) the training report and ``policy_id``."""
    return job_or_404(state, job_id, "train").to_dict()
