"""The self-contained HTML sweep report."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.render.sweep_plots import (
    heatmap_figure,
    main_effects_figure,
    marginal_means,
    parameter_levels,
)
from gramabm.analysis.render.sweep_report import aggregates_csv_path, write_sweep_report
from gramabm.errors import ConfigError
from tests.analysis.test_aggregate import synthetic_results

META = {
    "experiment": "synthetic <fee & drop>",
    "description": "fees against drops",
    "design": {"kind": "grid"},
    "replications": 3,
    "scenarios": ["drop"],
    "root_seed": 7,
    "points": 12,
    "parameters": [
        {
            "name": "primary.redeem_fee_bp",
            "column": "p_primary__redeem_fee_bp",
            "values": [0, 25, 100],
        },
        {
            "name": "scenario_params.severity",
            "column": "p_scenario_params__severity",
            "min": 0.05,
            "max": 0.3,
            "num": 4,
        },
    ],
    "base_config": {"primary": {"redeem_fee_bp": 25.0}},
    "salib": None,
}


def report_results() -> pd.DataFrame:
    results = synthetic_results(seeds=3)
    # The worst discount crosses -100 bp once severity reaches 0.3 (known discovery answer).
    results["m_worst_discount_bp"] = -400 * results["p_scenario_params__severity"] - 10
    results.loc[2, ["status", "error"]] = ["failed", "Traceback\nRuntimeError: model blew up"]
    return results


def images(text: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', text)]


def test_report_is_self_contained_with_every_section(tmp_path: Path) -> None:
    out = write_sweep_report(report_results(), tmp_path / "sub" / "report.html", spec_meta=META)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # Self-contained: no script, no external resource.
    assert "<script" not in text
    assert not re.search(r'(src|href)="(?!data:)', text)
    assert "http" not in text
    for heading in (
        "Design",
        "Failed runs",
        "Headline metrics per design point",
        "Main effects",
        "Two-parameter view",
        "Global sensitivity",
        "Scenario discovery",
        "Recommendations",
    ):
        assert f"<h2>{heading}</h2>" in text
    # The experiment name is escaped, the failure is shown with its last line.
    assert "synthetic &lt;fee &amp; drop&gt;" in text
    assert "RuntimeError: model blew up" in text
    # The discovery box is the known threshold; the recommendation names the fee setting.
    assert "scenario_params.severity &gt;= 0.3" in text
    assert "Setting primary.redeem_fee_bp to 0 (reference 25)" in text
    pngs = images(text)
    assert len(pngs) >= 5
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    csv = pd.read_csv(aggregates_csv_path(out))
    assert len(csv) == 12
    assert "worst_discount_bp_ci_low" in csv.columns


def test_report_is_deterministic(tmp_path: Path) -> None:
    a = write_sweep_report(report_results(), tmp_path / "a" / "report.html", spec_meta=META)
    b = write_sweep_report(report_results(), tmp_path / "b" / "report.html", spec_meta=META)
    assert a.read_bytes() == b.read_bytes()


def test_report_explains_sections_it_cannot_compute(tmp_path: Path) -> None:
    results = synthetic_results(seeds=2)
    results = results[results["p_primary__redeem_fee_bp"] == 0.0].drop(
        columns=["p_primary__redeem_fee_bp"]
    )
    results["m_worst_discount_bp"] = -50.0  # never beyond -100 bp
    out = write_sweep_report(results, tmp_path / "r.html", spec_meta=None)
    text = out.read_text(encoding="utf-8")
    assert "No run crossed the threshold" in text
    assert "No lever varies in this sweep" in text
    assert "Failed runs" not in text


def test_report_with_only_failures_and_empty_table(tmp_path: Path) -> None:
    results = synthetic_results(seeds=1).assign(status="failed", error="ValueError: x")
    text = write_sweep_report(results, tmp_path / "f.html", spec_meta=META).read_text()
    assert "nothing to analyse" in text
    with pytest.raises(ConfigError, match="at least one run"):
        write_sweep_report(results.iloc[:0], tmp_path / "e.html", spec_meta=META)


def test_marginal_means_and_levels() -> None:
    results = synthetic_results(seeds=2, noise=0.0)
    mm = marginal_means(results, "p_primary__redeem_fee_bp", "mean_abs_deviation_bp")
    assert list(mm["level"]) == [0.0, 25.0, 100.0]
    assert np.allclose(mm["mean"], [5.0, 7.5, 15.0])
    assert (mm["n"] == 8).all()
    many = pd.Series(np.linspace(0, 1, 100))
    levels, binned = parameter_levels(many)
    assert binned
    assert levels.nunique() == 8
    fig = main_effects_figure(results, ["p_primary__redeem_fee_bp"], ["worst_discount_bp"])
    assert len(fig.axes) == 1
    fig = heatmap_figure(
        results, "p_primary__redeem_fee_bp", "p_scenario_params__severity", "worst_discount_bp"
    )
    assert fig.axes[0].images[0].get_array().shape == (4, 3)
