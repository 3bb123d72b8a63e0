"""Experiment files: both parameter forms, aliases, and errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from gramabm.errors import ConfigError
from gramabm.sweeps.spec import load_spec, parse_spec

EXAMPLE = Path(__file__).parents[2] / "experiments" / "example_sweep.toml"


def _base(**extra):
    data = {"name": "t", "root_seed": 1, "parameters": {"primary.mint_fee_bp": [0, 50]}}
    data.update(extra)
    return data


def _error(data) -> str:
    with pytest.raises(ConfigError) as info:
        parse_spec(data, "exp.toml")
    return str(info.value)


def test_example_file_loads() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.name == "example_fee_vs_drop"
    assert spec.design.kind == "grid"
    assert [p.name for p in spec.parameters] == [
        "primary.mint_fee_bp",
        "primary.redeem_fee_bp",
        "scenario_params.severity",
    ]
    cfg = spec.base_config()
    assert cfg.holders.n == spec.holders == 1000
    assert cfg.steps == spec.steps == 240
    assert cfg.scenario_params == {"severity": 0.1}


def test_parameter_table_and_vary_array_are_the_same_spec() -> None:
    table = parse_spec(
        _base(
            parameters={
                "mint_fee_bp": [0, 25],
                "holders.herding": {"min": 0.1, "max": 2.0, "num": 3},
            }
        )
    )
    vary = parse_spec(
        {
            "name": "t",
            "root_seed": 1,
            "vary": [
                {"name": "mint_fee_bp", "values": [0, 25]},
                {"name": "holders.herding", "min": 0.1, "max": 2.0, "num": 3},
            ],
        }
    )
    assert table == vary
    # Flat aliases are stored under their dotted configuration path.
    assert table.parameters[0].name == "primary.mint_fee_bp"


def test_aliases_and_scenario_params_resolve() -> None:
    spec = parse_spec(
        _base(
            scenarios=["drop"],
            parameters={"arbitrageurs": [1, 3], "scenario_params.severity": [0.1, 0.2]},
        )
    )
    assert [p.name for p in spec.parameters] == ["arbitrageurs.n", "scenario_params.severity"]


def test_a_scenario_parameter_no_scenario_takes_is_refused() -> None:
    varied = _error(_base(parameters={"scenario_params.severity": [0.1, 0.2]}))
    assert "parameters.scenario_params.severity" in varied
    assert "no scenario of ['baseline'] takes this parameter" in varied
    shared = _error(_base(scenarios=["drop"], base={"scenario_params": {"severty": 0.1}}))
    assert "base.scenario_params.severty" in shared
    assert "severity" in shared  # the list of what they take shows the right spelling
    # A key some scenarios of the sweep take is allowed (the others' runs fail and are recorded).
    mixed = parse_spec(
        _base(scenarios=["baseline", "drop"], base={"scenario_params": {"severity": 0.1}})
    )
    assert mixed.scenarios == ["baseline", "drop"]


def test_mixed_int_and_float_values_become_one_float_column() -> None:
    spec = parse_spec(_base(parameters={"primary.mint_fee_bp": [0, 12.5]}))
    assert spec.parameters[0].typed_values() == [0.0, 12.5]
    assert all(isinstance(v, float) for v in spec.parameters[0].typed_values())


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (_base(replicatoins=3), "replicatoins"),
        (_base(root_seed=-1), "root_seed"),
        (_base(parameters={"primary.mint_fe_bp": [1, 2]}), "primary.mint_fe_bp"),
        (
            _base(parameters={"holders": {"min": 5, "max": 1, "num": 2}}),
            "parameters.holders: min (5.0) must be below max",
        ),
        (_base(parameters={"holders.herding": {"min": 0.1, "max": 1}}), "needs 'num'"),
        (_base(parameters={"primary": [1, 2]}), "section"),
        (_base(parameters={"scenario": ["drop"]}), "scenarios"),
        (_base(parameters={"preset": ["paxg", 3]}), "mix text and numbers"),
        (_base(parameters={"primary.always_open": [True, 1]}), "mix booleans and numbers"),
        (_base(scenarios=["nope"]), "scenarios"),
        (_base(base={"holders": {"n": -4}}), "base: invalid configuration: holders.n"),
        (_base(base={"holders": {"nn": 4}}), "holders.nn"),
        (_base(design={"kind": "sobol", "samples": 12}), "design.samples"),
        (_base(design={"kind": "random"}), "design.samples"),
        (_base(design={"kind": "grid", "samples": 4}), "design.samples"),
        (_base(design={"kind": "lhs", "samples": 4, "second_order": True}), "design.second_order"),
        (_base(design={"kind": "factorial"}), "design.kind"),
        (
            _base(
                design={"kind": "lhs", "samples": 4},
                parameters={"holders": {"min": 1, "max": 9, "num": 3}},
            ),
            "'num' applies to grid designs only",
        ),
        (
            {"name": "t", "root_seed": 1, "design": {"kind": "lhs", "samples": 4}},
            "needs parameters",
        ),
        ({"root_seed": 1}, "name"),
        ({"name": "has space", "root_seed": 1}, "name"),
    ],
)
def test_errors_name_the_field(data, needle) -> None:
    message = _error(data)
    assert message.startswith("exp.toml: ")
    assert needle in message


def test_both_parameter_forms_at_once_is_an_error() -> None:
    data = _base(vary=[{"name": "holders.n", "values": [1]}])
    assert "not both" in _error(data)


def test_file_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_spec(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('name = "w"\nroot_seed = 1\nreplications = 0\n')
    with pytest.raises(ConfigError, match=r"wrong\.toml: replications"):
        load_spec(wrong)


def test_fingerprint_follows_the_base_configuration() -> None:
    a = parse_spec(_base())
    assert a.fingerprint() == parse_spec(_base(replications=5)).fingerprint()
    assert a.fingerprint() != parse_spec(_base(holders=123)).fingerprint()
    assert a.fingerprint() != parse_spec(_base(base={"trading_fee_bp": 3.0})).fingerprint()


# --- [data] and per-scenario parameters ---------------------------------------------------


def test_data_csv_is_relative_to_the_file_or_the_current_directory(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    path = folder / "exp.toml"
    path.write_text(
        'name = "d"\nroot_seed = 1\n[data]\ncsv = "prices/gold.csv"\n'
        'date_column = "Day"\njump_warning = false\n',
        encoding="utf-8",
    )
    spec = load_spec(path)
    assert spec.data is not None
    assert spec.data.csv == str(folder / "prices" / "gold.csv")
    # Only the options given go to the loader; `false` turns the jump check off.
    assert spec.data.options() == {"date_column": "Day", "jump_warning": None}
    monkeypatch.chdir(tmp_path)
    from_dict = parse_spec(_base(data={"csv": "gold.csv"}))
    assert from_dict.data.csv == str(tmp_path / "gold.csv")
    absolute = parse_spec(_base(data={"csv": "/data/gold.csv"}), base_dir=folder)
    assert absolute.data.csv == "/data/gold.csv"
    assert parse_spec(_base()).data is None  # absent: the built-in series


def test_data_does_not_change_the_fingerprint() -> None:
    # The data are identified by their digest when a sweep resumes, not by their path.
    plain = parse_spec(_base())
    assert parse_spec(_base(data={"csv": "/a.csv"})).fingerprint() == plain.fingerprint()


def test_with_data_replaces_the_file_and_overrides_options(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = parse_spec(_base(data={"csv": "/a.csv", "delimiter": ";", "date_column": "d"}))
    moved = spec.with_data("b.csv", date_column="Day")
    assert moved.data.csv == str(tmp_path / "b.csv")
    assert moved.data.options() == {"delimiter": ";", "date_column": "Day"}
    assert spec.data.csv == "/a.csv"  # the original is unchanged
    assert parse_spec(_base()).with_data("c.csv").data.csv == str(tmp_path / "c.csv")
    with pytest.raises(ConfigError, match=r"no \[data\] table and no CSV"):
        parse_spec(_base()).with_data(price_column="USD")
    with pytest.raises(ConfigError, match=r"data\.min_rows"):
        spec.with_data(min_rows=0)


def test_per_scenario_tables_are_kept_and_change_the_fingerprint() -> None:
    spec = parse_spec(
        _base(
            scenarios=["drop", "slow_bear"],
            base={"scenario_params": {"severity": 0.1}},
            scenario_params={"slow_bear": {"duration_days": 30, "severity": 0.2}},
        )
    )
    assert spec.scenario_params == {"slow_bear": {"duration_days": 30, "severity": 0.2}}
    assert spec.scenario_data("slow_bear")["scenario_params"] == {
        "severity": 0.2,
        "duration_days": 30,
    }
    assert spec.scenario_data("drop")["scenario_params"] == {"severity": 0.1}
    plain = parse_spec(_base(scenarios=["drop", "slow_bear"], base=spec.base))
    assert spec.fingerprint() != plain.fingerprint()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"data": {"csv": "g.csv", "date_colum": "d"}}, "data.date_colum"),
        ({"data": {"date_column": "d"}}, "data.csv"),
        ({"data": {"csv": "g.csv", "unsorted": "shuffle"}}, "data.unsorted"),
        ({"data": {"csv": "g.csv", "delimiter": ";;"}}, "data.delimiter"),
        ({"data": {"csv": "g.csv", "encoding": "utf-9"}}, "unknown text encoding 'utf-9'"),
        ({"data": {"csv": "g.csv", "jump_warning": True}}, "data.jump_warning"),
        ({"data": "g.csv"}, "data"),
        (
            {"scenario_params": {"v_shape": {"severity": 0.2}}},
            "scenario_params.v_shape: 'v_shape' is not one of the scenarios",
        ),
        (
            {"scenario_params": {"drop": {"duration_dayz": 3}}},
            "scenario_params.drop: drop takes no parameter 'duration_dayz'",
        ),
        ({"scenario_params": {"severity": 0.2}}, "go in [base].scenario_params"),
        (
            {
                "scenario_params": {"drop": {"severity": 0.2}},
                "parameters": {"scenario_params.severity": [0.1, 0.3]},
            },
            "'severity' is also varied",
        ),
    ],
)
def test_data_and_per_scenario_errors_name_the_field(extra, needle) -> None:
    message = _error(_base(scenarios=["drop"], **extra))
    assert message.startswith("exp.toml: ")
    assert needle in message


def test_user_replay_ranges_take_replay_parameters() -> None:
    name = "replay:2008-03-01:2008-10-31"
    spec = parse_spec(_base(scenarios=[name], scenario_params={name: {"start_price": 1500.0}}))
    assert spec.scenario_data(name)["scenario_params"] == {"start_price": 1500.0}
    assert "takes no parameter 'severity'" in _error(
        _base(scenarios=[name], scenario_params={name: {"severity": 0.1}})
    )


def test_toml_dates_become_iso_text(tmp_path) -> None:
    path = tmp_path / "dated.toml"
    path.write_text(
        'name = "dated"\nroot_seed = 1\nscenarios = ["drop"]\n'
        "[scenario_params.drop]\nstart = 2020-03-02\n"
        '[base]\nscenario_params = { severity = 0.1, start = "2020-03-03" }\n',
        encoding="utf-8",
    )
    spec = load_spec(path)
    assert spec.scenario_params == {"drop": {"start": "2020-03-02"}}
    assert spec.scenario_data("drop")["scenario_params"] == {"severity": 0.1, "start": "2020-03-02"}
    spec.fingerprint()  # JSON-safe throughout


def test_roles_default_to_the_configuration_and_a_spec_may_override_them() -> None:
    from gramabm.sweeps.design import describe_design

    spec = parse_spec(
        _base(
            parameters={
                "mint_fee_bp": [0, 25],
                "market_makers.withdraw_vol": [0.4, 0.8],
                "holders.herding": {"min": 0.1, "max": 2.0, "num": 2, "role": "lever"},
            }
        )
    )
    assert describe_design(spec)["roles"] == {
        "p_primary__mint_fee_bp": "lever",
        "p_market_makers__withdraw_vol": "uncertainty",
        "p_holders__herding": "lever",
    }
    assert "role" in _error(_base(parameters={"mint_fee_bp": {"values": [0, 25], "role": "knob"}}))


def test_a_shipped_configuration_is_the_base_and_base_merges_over_it() -> None:
    from gramabm.config import load_config

    shipped = load_config("calibrated")
    spec = parse_spec(_base(config="calibrated", base={"primary": {"preset": "xaut"}}))
    cfg = spec.base_config()
    assert spec.config == "calibrated"
    assert cfg.primary.preset == "xaut"  # [base] wins where it speaks
    # ... and the configuration stands everywhere else (not the defaults).
    assert cfg.holders.model_dump() == shipped.holders.model_dump()
    assert cfg.arbitrageurs.model_dump() == shipped.arbitrageurs.model_dump()
    plain = parse_spec(_base(base={"primary": {"preset": "xaut"}}))
    assert plain.base_config().holders.activity != cfg.holders.activity
    assert plain.fingerprint() != spec.fingerprint()  # the configuration is in the fingerprint


def test_a_configuration_file_is_read_from_the_experiment_folder(tmp_path) -> None:
    (tmp_path / "mine.toml").write_text("[holders]\nherding = 0.25\n")
    (tmp_path / "exp.toml").write_text(
        'name = "t"\nroot_seed = 1\nconfig = "mine.toml"\nholders = 50\n'
    )
    spec = load_spec(tmp_path / "exp.toml")
    assert spec.config == str(tmp_path / "mine.toml")
    cfg = spec.base_config()
    assert (cfg.holders.herding, cfg.holders.n) == (0.25, 50)


def test_a_configuration_typo_is_refused_naming_it(tmp_path) -> None:
    message = _error(_base(config="calibratd"))
    assert "config: 'calibratd'" in message
    assert "calibrated" in message  # the shipped names are listed
    (tmp_path / "bad.toml").write_text("[holders]\nherdng = 0.25\n")
    message = _error(_base(config=str(tmp_path / "bad.toml")))
    assert "config:" in message
    assert "herdng" in message


def test_the_manifest_records_the_configuration() -> None:
    from gramabm.sweeps.design import describe_design

    described = describe_design(parse_spec(_base(config="calibrated", steps=5)))
    assert described["config"] == "calibrated"
    assert described["base_config"]["holders"]["activity"] == pytest.approx(
        parse_spec(_base(config="calibrated")).base_config().holders.activity
    )
