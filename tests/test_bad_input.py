"""The bad-input sweep: every face refuses bad input with a clear message, never a traceback.

The command line answers exit status 2 and a message naming the problem, before any work; the REST
service answers a 4xx with a JSON body, never a 5xx. A batch with failed runs never exits 0.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gramabm.cli import app
from gramabm.cli.options import run_app

SPEC = """
name = "bad"
root_seed = 1
steps = 24
holders = 100
scenarios = ["drop"]
[parameters]
{parameters}
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad")
    binary = root / "binary.dat"
    binary.write_bytes(bytes(range(256)) * 8)
    latin = root / "latin1.toml"
    latin.write_bytes('scenario = "caf\xe9"\n'.encode("latin-1"))
    existing = root / "existing.txt"
    existing.write_text("a file, not a folder\n")
    invalid = root / "invalid.toml"
    invalid.write_text("steps = = 3\n")
    made: dict[str, Path] = {
        "binary": binary,
        "latin": latin,
        "existing": existing,
        "invalid": invalid,
        "out": root / "out",
    }
    for name, parameters in {
        "severity_text": '"scenario_params.severity" = ["abc", "12%"]',
        "severity_negative": '"scenario_params.severity" = [-0.3, 0.1]',
        "severity_above_one": '"scenario_params.severity" = [1.5, 0.1]',
        "fee_negative": '"primary.mint_fee_bp" = [-50.0, 10.0]',
        "good": '"primary.mint_fee_bp" = [0.0, 10.0]',
    }.items():
        made[name] = root / f"{name}.toml"
        made[name].write_text(SPEC.format(parameters=parameters))
    return made


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> tuple[int, str]:
    """Run the ``gramabm`` entry point as the console script does; (exit status, all output).

    Anything but a SystemExit escaping is a traceback, and fails the test.
    """
    monkeypatch.setattr(sys, "argv", ["gramabm", *args])
    code: int | str | None = 0
    try:
        run_app(app)
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return (code if isinstance(code, int) else 1), captured.out + captured.err


# (arguments with {placeholders} for the files, text the message must hold)
CLI_CASES: list[tuple[str, str]] = [
    # Files that are not text.
    ("run --config {binary} --out {out}/r", "not a text"),
    ("run --config {latin} --out {out}/r", "UTF-8"),
    ("stress --config {binary} --out {out}/s", "not a text"),
    ("sweep {binary} --out {out}/w", "not a text"),
    ("policy evaluate {out}/none.skops --csv {binary}", "binary"),
    ("data info --csv {binary}", "not a text CSV"),
    ("run --csv {binary} --out {out}/r --steps 10", "not a text CSV"),
    # Outputs that cannot be folders.
    ("run --out {existing} --steps 10 --holders 50", "existing file"),
    ("sweep {good} --out {existing}", "existing file"),
    ("run --out /dev/null/x --steps 10 --holders 50", "/dev/null"),
    ("stress --out {existing}", "existing file"),
    # An address nobody listens at fails fast, naming it.
    ("sweep {good} --out {out}/dask --scheduler tcp://127.0.0.1:9", "tcp://127.0.0.1:9"),
    # Values a single run refuses are refused for a sweep, before any run.
    ("sweep {severity_text} --out {out}/v1", "severity"),
    ("sweep {severity_negative} --out {out}/v2", "severity"),
    ("sweep {severity_above_one} --out {out}/v3", "severity"),
    ("sweep {fee_negative} --out {out}/v4", "mint_fee_bp"),
    # Existing cases.
    ("run --scenario nosuch --out {out}/r --steps 10", "unknown scenario"),
    ("run --scenario drop --param severity=1.5 --out {out}/r --steps 10", "severity"),
    ("run --scenario drop --param sevrity=0.3 --out {out}/r --steps 10", "sevrity"),
    ("run --param novalue --out {out}/r", "KEY=VALUE"),
    ("run --config {out}/missing.toml --out {out}/r", "not found"),
    ("run --config {invalid} --out {out}/r", "not valid TOML"),
    ("run --holders -5 --out {out}/r", "holders"),
    ("run --steps 0 --out {out}/r", "steps"),
    ("run --csv {out}/missing.csv --out {out}/r", "missing.csv"),
    ("sweep {out}/missing.toml --out {out}/w", "not found"),
    ("sweep {good} --out {out}/w --workers 0", "workers"),
    ("stress --scenario nosuch --out {out}/s --steps 10 --holders 50", "unknown scenario"),
    ("scenarios show drop --param sevrity=0.3", "sevrity"),
]


@pytest.mark.parametrize(("args", "says"), CLI_CASES, ids=[c[0][:48] for c in CLI_CASES])
def test_cli_bad_input_exits_2_with_a_message(
    args: str, says: str, files: dict[str, Path], monkeypatch, capsys
) -> None:
    argv = [part.format(**files) for part in args.split()]
    code, output = invoke(argv, monkeypatch, capsys)
    assert code == 2, output
    assert "Traceback" not in output
    assert says in output, output


def test_a_sweep_with_failed_runs_does_not_exit_0(
    files: dict[str, Path], monkeypatch, capsys, tmp_path: Path
) -> None:
    import gramabm.simulation

    real = gramabm.simulation.simulate

    def flaky(config: Any, seed: int, **kwargs: Any) -> Any:
        if config.primary.mint_fee_bp == 10.0:
            raise RuntimeError("the order book caught fire")
        return real(config, seed, **kwargs)

    monkeypatch.setattr(gramabm.simulation, "simulate", flaky)
    out = tmp_path / "failed"
    code, output = invoke(["sweep", str(files["good"]), "--out", str(out)], monkeypatch, capsys)
    assert code == 1, output
    assert "the order book caught fire" in output  # the first error, in the message
    # Resuming the directory does not turn the failure into a success.
    code, output = invoke(["sweep", str(files["good"]), "--out", str(out)], monkeypatch, capsys)
    assert code == 1, output
    assert "earlier call" in output


# ------------------------------------------------------------------------------- the service


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.api.conftest import make_client

    with make_client(tmp_path_factory.mktemp("bad-api")) as client:
        yield client


def _spec(parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "spec": {
            "name": "bad",
            "root_seed": 1,
            "steps": 24,
            "holders": 100,
            "scenarios": ["drop"],
            "parameters": parameters,
            **extra,
        }
    }


Request = Callable[[Any], Any]

API_CASES: list[tuple[str, Request, int, str]] = [
    (
        "sweep severity text",
        lambda c: c.post("/experiments", json=_spec({"scenario_params.severity": ["abc", "1%"]})),
        422,
        "severity",
    ),
    (
        "sweep severity negative",
        lambda c: c.post("/experiments", json=_spec({"scenario_params.severity": [-0.3, 0.1]})),
        422,
        "severity",
    ),
    (
        "sweep fee negative",
        lambda c: c.post("/experiments", json=_spec({"primary.mint_fee_bp": [-50, 10]})),
        422,
        "mint_fee_bp",
    ),
    (
        "sweep replay outside the data",
        lambda c: c.post(
            "/experiments",
            json=_spec({"primary.mint_fee_bp": [0, 10]}, scenarios=["replay_oct_2025"]),
        ),
        422,
        "replay_oct_2025",
    ),
    (
        "simulation negative holders",
        lambda c: c.post("/simulations", json={"holders": -1}),
        422,
        "holders",
    ),
    (
        "simulation unknown scenario",
        lambda c: c.post("/simulations", json={"scenario": "nosuch"}),
        422,
        "nosuch",
    ),
    (
        "simulation severity text",
        lambda c: c.post(
            "/simulations", json={"scenario": "drop", "scenario_params": {"severity": "abc"}}
        ),
        422,
        "severity",
    ),
    (
        "overflowing number",
        lambda c: c.post(
            "/simulations",
            content='{"holders": 100, "overrides": {"trading_fee_bp": 1e999}}',
            headers={"Content-Type": "application/json"},
        ),
        422,
        "",
    ),
    (
        "binary dataset upload",
        lambda c: c.post(
            "/datasets/upload", files={"file": ("gold.csv", bytes(range(256)) * 8, "text/csv")}
        ),
        422,
        "",
    ),
    (
        "predict with an unknown policy",
        lambda c: c.post("/policies/" + "0" * 32 + "/predict", json={"states": [{}]}),
        422,
        "",
    ),
    ("report of an unknown sweep", lambda c: c.get("/analysis/" + "0" * 32 + "/report"), 404, ""),
    ("not JSON", lambda c: c.post("/simulations", content=b"\xff\xfe\x00"), 422, ""),
]


@pytest.mark.parametrize(
    ("name", "send", "status", "says"), API_CASES, ids=[c[0] for c in API_CASES]
)
def test_api_bad_input_is_a_4xx_naming_it(
    api: Any, name: str, send: Request, status: int, says: str
) -> None:
    response = send(api)
    assert response.status_code == status, response.text
    body = response.json()  # always JSON, never an HTML error page
    assert "detail" in body
    assert says in json.dumps(body)


def test_no_bad_input_left_a_job_behind(api: Any) -> None:
    for _, send, _, _ in API_CASES:
        send(api)
    assert api.get("/jobs").json() == []
