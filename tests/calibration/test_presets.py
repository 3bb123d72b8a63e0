"""Shipped presets: TOML writing, resolution by name in load_config, the calibrated preset."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest

from gramabm.calibration.moments import TARGETS
from gramabm.calibration.objective import DEFAULT_PARAMETERS
from gramabm.calibration.presets import (
    CALIBRATED,
    PRESET_DIR,
    available_presets,
    load_preset,
    nest,
    preset_path,
    to_toml,
    write_preset,
)
from gramabm.config import ModelConfig, build_config, load_config
from gramabm.errors import ConfigError


def _flatten(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_toml_round_trip(tmp_path: Path) -> None:
    data = {
        "steps": 48,
        "scenario": 'quote " and \\ backslash',
        "holders": {"n": 10_000, "activity": 0.04167, "policy": "default"},
        "primary": {"always_open": True},
        "scenario_params": {"levels": [1, 2.5]},
    }
    text = to_toml(data, ["a comment"])
    assert text.startswith("# a comment\n")
    assert tomllib.loads(text) == data
    path = write_preset(tmp_path / "p.toml", {"holders.n": 5, "market_makers.withdraw_vol": 0.5})
    assert tomllib.loads(path.read_text()) == {
        "holders": {"n": 5},
        "market_makers": {"withdraw_vol": 0.5},
    }
    with pytest.raises(ConfigError, match="cannot hold"):
        to_toml({"x": float("nan")})
    with pytest.raises(ConfigError, match="both a value and a section"):
        nest({"a": 1, "a.b": 2})


def test_names_only_resolve_to_shipped_files() -> None:
    assert CALIBRATED in available_presets()
    assert preset_path(CALIBRATED) == PRESET_DIR / "calibrated.toml"
    assert preset_path("calibrated.toml") is None
    assert preset_path("../calibrated") is None
    assert preset_path("no_such_preset") is None
    with pytest.raises(ConfigError, match="no shipped configuration named 'nope'"):
        load_preset("nope")


def test_load_config_by_name_round_trip() -> None:
    overrides = _flatten(load_preset(CALIBRATED))
    cfg = load_config(CALIBRATED)
    assert isinstance(cfg, ModelConfig)
    dumped = _flatten(cfg.model_dump(mode="json"))  # tuples as the TOML lists they came from
    for key, value in overrides.items():
        assert dumped[key] == value, key
    assert cfg == build_config(load_preset(CALIBRATED))
    assert load_config(Path(CALIBRATED), steps=24).steps == 24  # flat overrides still apply
    # The preset carries every calibrated parameter, the policy and the population.
    assert {p.key for p in DEFAULT_PARAMETERS} | {"holders.policy", "holders.n"} <= set(overrides)
    assert overrides["holders.policy"] == "default"


def test_a_file_of_the_same_name_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path(CALIBRATED).write_text("steps = 7\n", encoding="utf-8")
    assert load_config(CALIBRATED).steps == 7
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config("calibratd")


def test_shipped_fit_table_lists_every_target_in_both_periods() -> None:
    with (PRESET_DIR / "calibrated.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    literature = [t.name for t in TARGETS]
    fitted = [r["target"] for r in rows if r["period"] == "calibration"]
    if all(name in literature for name in fitted):  # a fit on the literature ranges alone
        for period in ("calibration", "out_of_sample"):
            names = [r["target"] for r in rows if r["period"] == period]
            assert names == literature
    else:  # a fit on observed data: its literature targets are checked on the later period
        later = [r["target"] for r in rows if r["period"] == "out_of_sample"]
        assert later == [n for n in fitted if n in literature]
    for row in rows:
        assert row["mark"] in ("within", "OUTSIDE")
        assert (row["mark"] == "within") == (row["within"] == "True")
        assert row["simulated"] != ""
