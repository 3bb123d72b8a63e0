"""The self-contained HTML stress report and its comparison CSV."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.render.html_report import (
    comparison_csv_path,
    comparison_table,
    write_stress_report,
)
from gramabm.analysis.runs.metrics import run_metrics
from gramabm.errors import ConfigError
from tests.analysis.test_metrics import make_timeseries, recovery_series, with_deviation

N = 120


def scenario_results() -> dict[str, tuple[pd.DataFrame, object, dict]]:
    calm = make_timeseries(N, seed=1)
    crash = with_deviation(make_timeseries(N, seed=2), np.resize(recovery_series(), N))
    crash.loc[10:, "reserve_ratio_actual"] = 0.97
    crash.loc[20:40, "mm_active"] = 2
    meta_calm = {"scenario": "baseline", "seed": 1, "shock_step": None, "step_hours": 1.0}
    meta_crash = {
        "scenario": "crash <Apr 2013>",
        "seed": 2,
        "shock_step": 10,
        "step_hours": 1.0,
        "config": {"holders": 1000, "preset": "paxg"},
    }
    return {
        "baseline": (calm, run_metrics(calm), meta_calm),
        "crash <Apr 2013>": (crash, run_metrics(crash, shock_step=10), meta_crash),
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report") / "sub" / "stress.html"
    path = write_stress_report(scenario_results(), out, title="Test report")
    return path, path.read_text(encoding="utf-8")


def test_report_is_written_with_a_comparison_table(report: tuple[Path, str]) -> None:
    path, text = report
    assert path.name == "stress.html"
    assert text.startswith("<!DOCTYPE html>")
    table = re.search(r'<table class="comparison">.*?</table>', text, re.S)
    assert table is not None
    rows = re.findall(r"<tr><th><a href=\"#scenario-\d\">(.*?)</a></th>", table.group(0))
    assert rows == ["baseline", "crash &lt;Apr 2013&gt;"]  # one row per scenario, escaped
    assert "worst discount (bp)" in table.group(0)
    assert "-300.0" in table.group(0)  # the crash's worst discount
    assert "31.0" in table.group(0)  # its time to recover, hours


def test_report_embeds_every_figure_as_png(report: tuple[Path, str]) -> None:
    _, text = report
    payloads = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(payloads) == 12  # six figures for each of two scenarios
    for payload in payloads:
        assert base64.b64decode(payload).startswith(b"\x89PNG\r\n\x1a\n")


def test_report_is_offline(report: tuple[Path, str]) -> None:
    _, text = report
    assert not re.search(r"https?://", text, re.I)
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()


def test_report_shows_meta_and_notes(report: tuple[Path, str]) -> None:
    _, text = report
    assert '<section id="scenario-1">' in text
    assert "paxg" in text  # nested config rendered
    assert "no shock step" in text  # the baseline's note


def test_csv_beside_the_html(report: tuple[Path, str]) -> None:
    path, _ = report
    csv = comparison_csv_path(path)
    assert csv == path.with_suffix(".csv")
    table = pd.read_csv(csv, index_col="scenario")
    assert list(table.index) == ["baseline", "crash <Apr 2013>"]
    assert table.loc["crash <Apr 2013>", "worst_discount_bp"] == pytest.approx(-300.0)
    assert table.loc["crash <Apr 2013>", "min_reserve_ratio_actual"] == pytest.approx(0.97)
    assert table.loc["crash <Apr 2013>", "mm_first_withdrawal_step"] == 20
    assert table.loc["baseline", "hours_outside_50bp"] == 0


def test_comparison_table_has_every_metric() -> None:
    results = scenario_results()
    table = comparison_table(results)
    metrics = results["baseline"][1]
    assert list(table.columns) == list(metrics.to_dict())
    assert table.shape[0] == 2


def test_report_is_byte_identical_for_identical_results(tmp_path: Path) -> None:
    results = scenario_results()
    results = {"baseline": results["baseline"]}
    a = write_stress_report(results, tmp_path / "a" / "report.html")
    b = write_stress_report(results, tmp_path / "b" / "report.html")
    assert a.read_bytes() == b.read_bytes()
    assert comparison_csv_path(a).read_bytes() == comparison_csv_path(b).read_bytes()


def test_bad_results_raise(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least one scenario"):
        write_stress_report({}, tmp_path / "x.html")
    ts = make_timeseries(10)
    with pytest.raises(ConfigError, match="'oops'"):
        write_stress_report({"oops": (ts, {"not": "metrics"}, {})}, tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_missing_headline_values_say_why(tmp_path: Path) -> None:
    stuck = with_deviation(make_timeseries(N), np.where(np.arange(N) >= 10, -200.0, 0.0))
    results = {
        "calm": scenario_results()["baseline"],
        "stuck": (stuck, run_metrics(stuck, shock_step=10), {}),
    }
    text = write_stress_report(results, tmp_path / "r.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r'<tr><th><a href="#scenario-\d">(\w+)</a></th>(.*?)</tr>', text))
    assert '<td class="num">no variation</td>' in rows["calm"]  # flat deviation: no fit
    assert '<td class="num">never</td>' in rows["stuck"]
    assert '<td class="num">never</td>' not in rows["calm"]  # no shock: not measured
    assert rows["calm"].count('<td class="num">no</td>') == 1  # market makers stayed


def _misleading_pair() -> dict[str, tuple[pd.DataFrame, object, dict]]:
    """The demo's trap: severely_adverse milder on the mid, worse on what traded, bids gone."""
    import dataclasses

    ts = make_timeseries(N, seed=3)
    base = run_metrics(ts, shock_step=10)
    adverse = dataclasses.replace(
        base,
        worst_discount_bp=-186.0,
        worst_traded_discount_bp=-190.0,
        worst_traded_premium_bp=5.0,
        hours_bid_side_empty=0.0,
        hours_ask_side_empty=0.0,
    )
    severe = dataclasses.replace(
        base,
        worst_discount_bp=-120.0,
        worst_traded_discount_bp=-640.0,
        worst_traded_premium_bp=3.0,
        hours_bid_side_empty=497.0,
        hours_ask_side_empty=0.0,
    )
    return {
        "adverse": (ts, adverse, {"definition": "1-in-10-year 5-day fall", "shock_step": 10}),
        "severely_adverse": (ts, severe, {"definition": "1-in-100-year 5-day fall"}),
    }


def test_summary_ranks_on_what_traded_and_one_sided_hours(tmp_path: Path) -> None:
    from gramabm.analysis.render.html_report import ranked_scenarios, summary_sentences

    results = _misleading_pair()
    assert ranked_scenarios(results) == ["severely_adverse", "adverse"]
    text = " ".join(summary_sentences(results))
    assert "Worst on what traded: severely_adverse" in text
    assert "640 bp below the gold value" in text
    assert "Longest one-sided market: severely_adverse, 497 h" in text
    assert "looks milder than adverse on the mid-based worst discount" in text
    page = write_stress_report(results, tmp_path / "r.html").read_text(encoding="utf-8")
    # The summary comes before the comparison table, the definitions beside the results.
    assert page.index('id="summary"') < page.index("<h2>Comparison</h2>")
    section = page[page.index('id="scenario-1"') :]
    assert section.index("1-in-100-year 5-day fall") < section.index("Results:")
    assert 'class="note"' not in page  # notes read as guidance, not warnings
