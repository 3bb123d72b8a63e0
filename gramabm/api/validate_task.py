"""The work of a validation job, run inside a worker: :func:`gramabm.validate.validate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gramabm.api.workers import Channel


def validate_task(payload: dict[str, Any], out: Path, scratch: Path, channel: Channel) -> Any:
    """Replay the token's period over the seeds and write the validation's files.

    Payload keys: ``candles`` (the token's candle frame, attrs in ``candle_attrs``), ``gold``
    (Series), ``config`` (nested dict), ``seeds``, ``start``, ``end``, ``venue_scale``, ``tick``.
    """
    from gramabm.config import build_config
    from gramabm.validate import validate, write_validation

    candles = payload["candles"]
    candles.attrs.update(payload["candle_attrs"])
    result = validate(
        candles,
        payload["gold"],
        build_config(payload["config"]),
        seeds=payload["seeds"],
        start=payload.get("start"),
        end=payload.get("end"),
        progress=lambda _what, share: channel.report(0.95 * share),
        venue_scale=payload.get("venue_scale", "auto"),
        tick=payload.get("tick"),
    )
    write_validation(result, out)
    return {
        "scenario": result.scenario,
        "period": [result.start, result.end],
        "exit_status": result.exit_status,
        "failed": result.failed,
        "unjudged": result.unjudged,
        "uncertain": result.uncertain,
        "venue": result.venue.to_dict(),
        "tick_note": result.tick_note,
        "table": result.table.reset_index().to_dict(orient="records"),
    }
