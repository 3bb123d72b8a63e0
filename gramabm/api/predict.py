"""Policy routes: the policy store (upload, list, fetch) and predictions from a stored policy.

An uploaded file is accepted only if :func:`gramabm.policies.io.load_policy_file` loads it: a
skops archive (never a pickle) whose every type is on gramabm's allow-list, with intact metadata.
Anything else is refused 422 with the loader's reason, and nothing is stored.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from gramabm.api.schemas import (
    PathId,
    PolicyInfo,
    PredictRequest,
    PredictResponse,
    error_responses,
    field_error,
)
from gramabm.api.security import require_api_key, save_upload
from gramabm.api.state import ApiState, get_state
from gramabm.policies.base import ACTIONS, FEATURES

router = APIRouter(prefix="/policies", tags=["predict"])


def _policy_or_404(state: ApiState, policy_id: str) -> dict[str, Any]:
    record = state.policies.get(policy_id)
    if record is None:
        raise HTTPException(404, f"no policy {policy_id}")
    return record


@router.post(
    "",
    status_code=201,
    response_model=PolicyInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 413),
    summary="Upload a policy file (skops)",
)
async def upload_policy(
    file: Annotated[UploadFile, File(description="A policy file written by gramabm (.skops)")],
    state: Annotated[ApiState, Depends(get_state)],
) -> dict[str, Any]:
    """Check the file through skops' type allow-list and store it."""
    from gramabm.policies.io import PolicyFileError

    with tempfile.TemporaryDirectory(prefix="gramabm-policy-") as tmp:
        path = Path(tmp, "upload.skops")
        await save_upload(file, path, state.settings.max_upload_bytes)
        try:
            return await run_in_threadpool(state.policies.add_file, path, "upload")
        except PolicyFileError as exc:
            raise field_error(("body", "file"), f"refused: {exc.problem}") from exc


@router.get("", response_model=list[PolicyInfo], summary="List policies")
def list_policies(state: Annotated[ApiState, Depends(get_state)]) -> list[dict[str, Any]]:
    """Every stored policy, newest first."""
    return state.policies.list()


@router.get(
    "/{policy_id}", response_model=PolicyInfo, responses=error_responses(404), summary="One policy"
)
def get_policy(policy_id: PathId, state: Annotated[ApiState, Depends(get_state)]) -> dict[str, Any]:
    """A stored policy's metadata (training data, labelling, scores, versions)."""
    return _policy_or_404(state, policy_id)


@router.get(
    "/{policy_id}/file",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The skops file"},
        **error_responses(404),
    },
    summary="Download a policy file",
)
def get_policy_file(policy_id: PathId, state: Annotated[ApiState, Depends(get_state)]) -> Response:
    """The stored skops file."""
    _policy_or_404(state, policy_id)
    return Response(
        state.policies.file_bytes(policy_id),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{policy_id}.skops"'},
    )


@router.post(
    "/{policy_id}/predict",
    response_model=PredictResponse,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 404),
    summary="Action probabilities for a batch of states",
)
def predict(
    policy_id: PathId, body: PredictRequest, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Score holder states with a stored policy (columns of ``probabilities``: ``actions``)."""
    _policy_or_404(state, policy_id)
    limit = state.settings.max_predict_rows
    if len(body.states) > limit:
        raise field_error(
            ("body", "states"), f"{len(body.states)} states exceed the limit of {limit}"
        )
    X = np.array([[getattr(s, f) for f in FEATURES] for s in body.states], dtype=float)
    proba = np.asarray(state.policies.load(policy_id).predict_proba(X), dtype=float)
    bad = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    if bad.size:
        # The schema promises numbers: a state the policy cannot score is refused, naming it.
        raise field_error(
            ("body", "states", int(bad[0])),
            f"the policy gives no probabilities for this state ({bad.size} such states)",
        )
    return {
        "policy_id": policy_id,
        "actions": list(ACTIONS),
        "probabilities": proba.tolist(),
        "predicted": [ACTIONS[i] for i in proba.argmax(axis=1)],
    }
