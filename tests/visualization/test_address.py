"""The page's address: a run's settings, step and sweep folder written to the query and read back."""

from __future__ import annotations

import dataclasses

import ipyvuetify as v
import pytest
import solara

from gramabm.errors import ConfigError
from visualization.address import encode, query_params, read_address, run_params
from visualization.app import LIVE, Controls, LivePage, page_query

from .conftest import SMALL, find_all, texts


def test_a_run_written_to_the_address_reads_back_the_same() -> None:
    controls = dataclasses.replace(
        SMALL, preset="xaut", mint_fee_bp="25", primary_always_open=True, herding=2.5, seed="11"
    )
    search = encode({**run_params(controls, 42), "sweep": "/tmp/some sweep"})
    address = read_address(search, Controls)
    assert address.controls == controls
    assert address.step == 42
    assert address.sweep == "/tmp/some sweep"


def test_an_address_without_a_run_names_only_the_sweep() -> None:
    address = read_address("sweep=%2Fruns", Controls)
    assert address.controls is None
    assert address.sweep == "/runs"
    assert read_address("", Controls).controls is None


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("holders=lots", "holders must be a whole number, got 'lots'"),
        ("holders=-5", "holders must be >= 0"),
        ("step=x", "step must be a whole number"),
        ("herding=high", "herding must be a number"),
        ("primary_always_open=yes", "primary_always_open must be true or false"),
        ("holdrs=100", "unknown parameter 'holdrs'"),
        ("seed=1&seed=2", "'seed' is given twice"),
    ],
)
def test_a_bad_address_is_refused_naming_the_parameter(search: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_address(search, Controls)


def test_the_parameters_left_out_keep_the_default_controls() -> None:
    address = read_address("scenario=drop&step=0", Controls)
    assert address.controls == dataclasses.replace(Controls(), scenario="drop")


def _page_with_address(search: str):
    @solara.component
    def Page() -> None:
        solara.routing.router_context.provide(solara.routing.Router(f"/?{search}", []))
        with solara.AppLayout():
            LivePage(SMALL)

    return solara.render(Page(), handle_error=False)[1]


def test_the_live_page_restores_the_run_its_address_names() -> None:
    controls = dataclasses.replace(SMALL, seed="5", scenario="drop")
    rc = _page_with_address(encode(run_params(controls, 30)))
    assert texts(rc, "gram-status-step") == ["step: 30 / 96"]
    assert LIVE.run.value is not None
    assert LIVE.run.value.controls == controls
    assert LIVE.run.value.model.recorder.rows == 30
    assert "seed=5" in (page_query("") or "")
    assert "step=30" in (page_query("") or "")


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("holders=lots", "holders must be a whole number, got 'lots'"),
        ("steps=96&step=500", "step 500 is beyond the run's 96 steps"),
        ("preset=gold_bank", "preset"),
    ],
)
def test_a_bad_address_is_said_in_the_page_not_silently_replaced(search: str, message: str) -> None:
    rc = _page_with_address(search)
    (alert,) = find_all(rc, v.Alert, type="error")
    error = " ".join(c for c in alert.children if isinstance(c, str))
    assert "cannot restore the run from the page's address" in error
    assert message in error
    assert "default run is shown instead" in error
    assert texts(rc, "gram-status-step") == ["step: 0 / 96"]


def test_query_params_keep_blank_values() -> None:
    assert query_params("mint_fee_bp=&seed=3") == {"mint_fee_bp": "", "seed": "3"}


def test_the_address_follows_the_run_on_pause_and_keeps_what_other_pages_named(
    sweep_dir,
) -> None:
    from visualization.sweep import SWEEP, load_sweep

    # Before the live page's first visit, its parameters stay as the address has them.
    assert page_query("holders=123&sweep=%2Fx") == "holders=123&sweep=%2Fx"
    _page_with_address("")
    LIVE.playing.set(True)
    assert page_query("holders=123") is None  # playing: written on pause, not every update
    LIVE.playing.set(False)
    SWEEP.opened.set(load_sweep(sweep_dir))
    params = query_params(page_query("holders=123&sweep=%2Fx"))
    assert params["holders"] == str(SMALL.holders)
    # The step the run reached: the play thread may have advanced it before the pause (under
    # load it has, by six steps), so the address must name the run's step, not a fixed 0.
    assert params["step"] == str(LIVE.snapshot.value.step)
    assert params["sweep"] == str(sweep_dir)
