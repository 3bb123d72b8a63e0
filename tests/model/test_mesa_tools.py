"""Mesa's own tools work on the model: batch_run rows match `gramabm run` for the same seed."""

from __future__ import annotations

import json
import math

import mesa
import pandas as pd
from typer.testing import CliRunner

from gramabm.cli import app
from gramabm.model import GramModel


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def test_batch_run_rows_match_gramabm_run(tmp_path) -> None:
    rows = mesa.batch_run(
        GramModel,
        parameters={"holders": [300, 600], "steps": 40},
        rng=[1, 2],  # Mesa 3.5 seeds through its own argument (it overrides an "rng" parameter)
        max_steps=40,
        display_progress=False,
    )
    assert len(rows) == 4  # one row per run, at its last step
    for row in rows:
        assert row["Step"] == 40
        out = tmp_path / f"{row['holders']}_{row['rng']}"
        result = CliRunner().invoke(
            app,
            [
                "run",
                "--seed",
                str(row["rng"]),
                "--holders",
                str(row["holders"]),
                "--steps",
                "40",
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        metrics = json.loads((out / "summary.json").read_text())["metrics"]
        scalar = {k: v for k, v in metrics.items() if not isinstance(v, list)}
        assert scalar, "the summary has metrics"
        for name, value in scalar.items():
            got = row[name]
            if isinstance(got, float) and not math.isfinite(got):
                got = None  # the summary writes non-finite floats as null
            assert _same(got, value), (name, got, value)
        series = pd.read_parquet(out / "timeseries.parquet").iloc[-1]
        for name in ("token_mid", "deviation_bp", "supply_tokens", "holders_sell"):
            assert _same(float(row[name]), float(series[name])), name


def test_datacollector_frame_has_a_row_per_step_and_metrics_at_the_end() -> None:
    model = GramModel(rng=3, holders=200, steps=30)
    for _ in range(30):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.index) == list(range(1, 31))
    assert frame["deviation_bp"].notna().all()
    assert frame["worst_discount_bp"].iloc[:-1].isna().all()
    assert frame["worst_discount_bp"].iloc[-1] <= 0
    assert len(model.agents) < 20  # holders are not Mesa agents unless asked for
    holders = model.holder_agents()
    assert len(holders) == 200
    assert holders.to_list()[5].tokens_mg == model.holders.tokens_mg()[5]
