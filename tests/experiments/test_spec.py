"""Experiment files: both parameter forms, aliases, and errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from gramabm.errors import ConfigError
from gramabm.experiments.spec import load_spec, parse_spec

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
        _base(parameters={"arbitrageurs": [1, 3], "scenario_params.severity": [0.1, 0.2]})
    )
    assert [p.name for p in spec.parameters] == ["arbitrageurs.n", "scenario_params.severity"]


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
