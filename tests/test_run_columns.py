"""The run-column contract: the model records exactly the declared columns, with their kinds."""

from __future__ import annotations

import pandas as pd
import pytest

from gramabm import run_columns
from gramabm.model import GramModel


def test_model_records_exactly_the_declared_columns() -> None:
    model = GramModel(rng=3, holders=200, steps=30)
    frame = model.run().timeseries
    custodians = [run_columns.custodian_column(c.name) for c in model.custodians]
    declared = ["timestamp", *(c.name for c in run_columns.COLUMNS), *custodians]
    assert sorted(frame.columns) == sorted(declared)
    for c in run_columns.COLUMNS:
        kind = frame[c.name].dtype
        if c.kind == "bool":
            assert pd.api.types.is_bool_dtype(kind), c.name
        elif c.kind == "int":
            assert pd.api.types.is_integer_dtype(kind), c.name
        else:
            assert pd.api.types.is_float_dtype(kind), c.name


def test_labels_and_units_come_from_the_contract() -> None:
    assert run_columns.label("deviation_bp") == "Deviation (mid) (bp)"
    assert run_columns.label("reserves_g_custodian_1") == "Reserves at custodian_1 (g)"
    assert run_columns.label("not_a_column") == "not_a_column"
    with pytest.raises(KeyError, match="no recorded column"):
        run_columns.column("deviaton_bp")


def test_names_are_unique() -> None:
    names = [c.name for c in run_columns.COLUMNS]
    assert len(names) == len(set(names))


def test_readme_column_table_is_generated_from_the_contract() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- run-columns:start -->\n", "\n<!-- run-columns:end -->"
    assert start in readme, "README lost its generated column table's start marker"
    assert end in readme, "README lost its generated column table's end marker"
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == run_columns.markdown_table(), (
        "README's column table differs from gramabm/run_columns.py: paste "
        "run_columns.markdown_table() between the markers"
    )
