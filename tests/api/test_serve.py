"""`gramabm serve` and the settings it reads: loopback by default, limits from the environment."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from gramabm.api import Settings
from gramabm.cli.serve import serve
from gramabm.errors import ConfigError


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("GRAMABM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GRAMABM_API_KEY", raising=False)
    return seen


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(serve)
    return app


def test_serve_binds_loopback_by_default(captured: dict[str, Any], tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), [])
    assert result.exit_code == 0, result.output
    assert captured["host"] == "127.0.0.1"
    assert captured["port"] == 8000
    assert captured["app"].state.gramabm.settings.data_dir == tmp_path
    captured["app"].state.gramabm.close()


def test_serve_warns_when_exposed_without_a_key(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(_cli(), ["--host", "0.0.0.0", "--port", "9001"])
    assert result.exit_code == 0
    assert captured["host"] == "0.0.0.0"
    assert captured["port"] == 9001
    assert "without GRAMABM_API_KEY" in result.output
    captured["app"].state.gramabm.close()


def test_settings_from_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "GRAMABM_DATA_DIR": str(tmp_path),
            "GRAMABM_API_KEY": "k",
            "GRAMABM_MAX_HOLDER_STEPS": "1_000",
            "GRAMABM_WORKERS": "3",
            "UNRELATED": "x",
        }
    )
    assert settings.data_dir == tmp_path
    assert settings.key_required
    assert settings.max_holder_steps == 1000
    assert settings.workers == 3
    assert not Settings.from_env({}).key_required


@pytest.mark.parametrize(
    ("env", "text"),
    [
        ({"GRAMABM_WORKERS": "two"}, "GRAMABM_WORKERS"),
        ({"GRAMABM_WORKERS": "0"}, "workers"),
        ({"GRAMABM_MAX_UPLOAD_BYTES": "99", "GRAMABM_MAX_BODY_BYTES": "10"}, "max_upload_bytes"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], text: str) -> None:
    with pytest.raises(ConfigError, match=text):
        Settings.from_env(env)


def test_benchmark_bounds_are_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_api.py"
    spec = importlib.util.spec_from_file_location("bench_api", path)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_api", bench)  # dataclasses look their module up
    spec.loader.exec_module(bench)
    for argv in (["--clients", "1000"], ["--runs", "0"], ["--time-limit", "100000"]):
        with pytest.raises(SystemExit):
            bench.main(argv)
    assert bench.HOST == "127.0.0.1"


def test_warming_a_closed_backend_stops_quietly() -> None:
    from gramabm.api.workers import LocalBackend

    backend = LocalBackend(workers=1, capacity=2)
    backend.close()
    backend.warm()  # the service shut down before its warm-up thread ran: no exception,
    assert backend._executor is None  # and no new pool of workers left behind
