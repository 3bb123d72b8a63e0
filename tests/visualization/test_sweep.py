"""The sweep-results page on a real (tiny) sweep: loading, tables, analyses and the page itself."""

from __future__ import annotations

from pathlib import Path

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara
from matplotlib.figure import Figure
from solara.components.datatable import DataTableWidget

from gramabm.cli.viz import SWEEP_DIR_ENV
from gramabm.errors import ConfigError
from visualization.sweep import (
    SweepPage,
    discovery,
    headline_table,
    load_sweep,
    main_effects,
    overview,
    sensitivity_tables,
)

from .conftest import find_all, texts

FEE = "p_primary__mint_fee_bp"
THRESHOLD = -5.0  # bp of worst discount: crossed without a mint fee, not with one


def test_load_refuses_what_is_not_a_sweep(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="type the path"):
        load_sweep("  ")
    with pytest.raises(ConfigError, match="no such directory"):
        load_sweep(tmp_path / "missing")
    with pytest.raises(ConfigError, match="no results"):
        load_sweep(tmp_path)


def test_loaded_sweep_knows_its_parameters_and_metrics(sweep_dir: Path) -> None:
    data = load_sweep(str(sweep_dir))
    assert len(data.results) == 12
    assert data.manifest is not None
    assert data.manifest["experiment"] == "viz_test"
    assert data.varying == [FEE, "p_scenario_params__severity"]
    assert data.metrics[0] == "worst_discount_bp"  # headline metrics first
    assert data.headline[0] == "worst_discount_bp"
    items = dict(overview(data).itertuples(index=False))
    assert items["runs"] == "12"
    assert items["successful"] == "12"
    assert items["failed"] == "0"
    assert items["design"] == "grid"
    assert items["scenarios"] == "drop"


def test_headline_table_has_one_row_per_design_point(sweep_dir: Path) -> None:
    data = load_sweep(sweep_dir)
    table = headline_table(data, ["worst_discount_bp", "hours_outside_50bp"])
    assert len(table) == 6  # 3 fees x 2 drops
    assert (table["seeds"] == 2).all()
    cell = table["worst_discount_bp"].iloc[0]
    # Two seeds are too few for an interval: the mean alone, and the note says why.
    assert "[" not in cell
    float(cell.replace(",", ""))
    assert (table["note"].str.contains("too few for an interval")).all()


def test_main_effects_and_sensitivity_figures(sweep_dir: Path) -> None:
    data = load_sweep(sweep_dir)
    assert isinstance(main_effects(data), Figure)
    figure, fit, method = sensitivity_tables(data)
    assert "random-forest" in method  # a grid, not a Sobol' design
    assert isinstance(figure, Figure)
    assert set(fit["metric"]) <= set(data.headline)
    assert not fit.empty


def test_discovery_finds_the_missing_fee(sweep_dir: Path) -> None:
    data = load_sweep(sweep_dir)
    values = data.ok["m_worst_discount_bp"]
    cases = int((values < THRESHOLD).sum())
    assert 0 < cases < len(values)  # the fixture sweep has both outcomes
    found = discovery(data, "worst_discount_bp", "below", THRESHOLD)
    assert found.summary.startswith(f"{cases} of {len(values)} runs")
    assert "mint_fee_bp" in found.rules.iloc[0]["rule"]
    assert isinstance(found.figure, Figure)


def test_discovery_says_when_it_cannot(sweep_dir: Path) -> None:
    data = load_sweep(sweep_dir)
    with pytest.raises(ConfigError, match="nothing breaks"):
        discovery(data, "worst_discount_bp", "below", -1e6)
    with pytest.raises(ConfigError, match="nothing holds"):
        discovery(data, "worst_discount_bp", "below", 1e6)
    with pytest.raises(ConfigError, match="direction must be"):
        discovery(data, "worst_discount_bp", "sideways", 0.0)
    with pytest.raises(ConfigError, match="no metric 'nonsense'"):
        discovery(data, "nonsense", "below", 0.0)


def _images(rc) -> set[str]:
    return {
        c for w in find_all(rc, widgets.Image) for c in w._dom_classes if c.startswith("gram-sweep")
    }


def test_page_opens_the_directory_from_the_command_line(
    sweep_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SWEEP_DIR_ENV, str(sweep_dir))
    _, rc = solara.render(SweepPage(), handle_error=False)
    assert not find_all(rc, v.Alert, "gram-error")
    (tabs,) = find_all(rc, v.Tabs)
    tables = find_all(rc, DataTableWidget)
    assert [t.total_length for t in tables] == [9, 12]  # the overview, then the runs

    tabs.v_model = 1
    assert not find_all(rc, v.Alert, "gram-sweep-note")
    # The overview stays; the headline table has one row per design point.
    assert [t.total_length for t in find_all(rc, DataTableWidget)] == [9, 6]
    tabs.v_model = 2
    assert _images(rc) == {"gram-sweep-effects"}
    tabs.v_model = 3
    assert _images(rc) == {"gram-sweep-sensitivity"}
    tabs.v_model = 4
    # The report's default criterion (-100 bp) is never crossed by these tiny runs: it says so.
    (note,) = find_all(rc, v.Alert, "gram-sweep-note")
    assert "nothing breaks" in note.children[0]
    (field,) = find_all(rc, v.TextField, label="Threshold")
    field.v_model = str(THRESHOLD)
    field.fire_event("keyup.enter", {})
    assert _images(rc) == {"gram-sweep-discovery"}
    (summary,) = texts(rc, "gram-sweep-discovery-summary")
    assert "PRIM box" in summary


def test_page_shows_a_bad_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SWEEP_DIR_ENV, raising=False)
    _, rc = solara.render(SweepPage(), handle_error=False)
    assert not find_all(rc, v.Alert, "gram-error")
    (field,) = find_all(rc, v.TextField, label="Sweep results directory")
    field.v_model = str(tmp_path / "nope")
    field.fire_event("keyup.enter", {})
    (button,) = find_all(rc, v.Btn, children=["Open"])
    button.click()
    (error,) = find_all(rc, v.Alert, "gram-error")
    assert "no such directory" in error.children[0]
    assert not find_all(rc, DataTableWidget)


def test_runs_table_is_titled_rounded_and_picks_columns(sweep_dir) -> None:
    from visualization.sweep import default_run_columns, load_sweep, runs_table

    data = load_sweep(sweep_dir)
    columns = default_run_columns(data)
    assert "m_worst_discount_bp" in columns
    table = runs_table(data, columns)
    assert "Worst discount (bp)" in table.columns
    assert "primary.mint_fee_bp" in table.columns
    assert not any(c.startswith(("m_", "p_")) for c in table.columns)
    raw = data.results["m_worst_discount_bp"].iloc[0]
    assert table["Worst discount (bp)"].iloc[0] == f"{raw:,.4g}"
    assert list(runs_table(data, ["seed"]).columns) == ["seed"]
