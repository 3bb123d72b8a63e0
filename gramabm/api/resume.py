"""How a job that a stopped server left unfinished is queued again: its payload, rebuilt from its record."""

from __future__ import annotations

from typing import Any

from gramabm.api.jobs import Job, Resumer
from gramabm.api.registry import Datasets
from gramabm.errors import ConfigError


def sweep_resumer(datasets: Datasets) -> Resumer:
    """What queues a sweep job again after a restart: its payload, rebuilt from its record."""

    def payload(job: Job) -> dict[str, Any]:
        dataset_id = job.request.get("dataset_id")
        prices = None if dataset_id is None else datasets.prices(dataset_id)
        if dataset_id is not None and prices is None:
            raise ConfigError(f"its dataset {dataset_id} is gone")
        return {"spec": job.request["spec"], "prices": prices, "dataset_id": dataset_id}

    return payload
