"""The runner: identical tables on any backend, failures recorded, resume, refusal to mix sweeps."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from gramabm.errors import ConfigError
from gramabm.sweeps import runner
from gramabm.sweeps.design import expand
from gramabm.sweeps.runner import execute_run, run_sweep
from gramabm.sweeps.spec import parse_spec
from gramabm.sweeps.store import TIMESERIES_DIR, query, read_manifest, read_results


def _spec(**extra):
    data = {
        "name": "small",
        "root_seed": 11,
        "scenarios": ["drop"],
        "replications": 2,
        "steps": 120,
        "holders": 300,
        "base": {"scenario_params": {"severity": 0.1}},
        "parameters": {"primary.mint_fee_bp": [0.0, 50.0, 100.0]},
    }
    data.update(extra)
    return parse_spec(data)


def _table(out) -> pd.DataFrame:
    return read_results(out).drop(columns="elapsed_s")


def test_one_two_workers_and_dask_give_identical_tables(tmp_path) -> None:
    pytest.importorskip("dask.distributed")
    spec = _spec()
    serial = run_sweep(spec, tmp_path / "w1", progress=False)
    assert (serial.executed, serial.failed, serial.workers) == (6, 0, 1)
    pooled = run_sweep(spec, tmp_path / "w2", workers=2, progress=False)
    assert (pooled.executed, pooled.workers) == (6, 2)
    dasked = run_sweep(spec, tmp_path / "dask", workers=2, dask=True, progress=False)
    assert (dasked.executed, dasked.workers) == (6, 2)

    reference = _table(tmp_path / "w1")
    assert len(reference) == 6
    assert (reference["status"] == "ok").all()
    assert reference["m_worst_discount_bp"].notna().all()
    # Different fees and seeds give different runs: the comparison below is not vacuous.
    assert reference["m_volume_usd_total"].nunique() == 6
    pd.testing.assert_frame_equal(_table(tmp_path / "w2"), reference)
    pd.testing.assert_frame_equal(_table(tmp_path / "dask"), reference)


def test_joining_a_running_dask_scheduler(tmp_path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    spec = _spec(replications=1)
    run_sweep(spec, tmp_path / "here", progress=False)
    with distributed.LocalCluster(
        n_workers=1, processes=False, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        summary = run_sweep(
            spec, tmp_path / "joined", scheduler=cluster.scheduler_address, progress=False
        )
        assert (summary.executed, summary.workers) == (3, 1)
        assert cluster.scheduler.workers  # the cluster is still up: joining does not stop it
    pd.testing.assert_frame_equal(_table(tmp_path / "joined"), _table(tmp_path / "here"))


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"holders.herding": [0.5, 99.0, 1.0]}, "holders.herding"),
        ({"primary.mint_fee_bp": [-50.0, 10.0]}, "mint_fee_bp"),
        ({"scenario_params.severity": ["abc", "12%"]}, "severity"),
        ({"scenario_params.severity": [-0.3, 0.1]}, "severity"),
        ({"scenario_params.severity": [1.5, 0.1]}, "severity"),
    ],
)
def test_invalid_values_are_refused_before_any_run(tmp_path, parameters, named) -> None:
    spec = _spec(replications=1, parameters=parameters)
    with pytest.raises(ConfigError, match=named):
        run_sweep(spec, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written


def test_failing_run_is_recorded_and_the_sweep_continues(tmp_path, monkeypatch) -> None:
    # A run that fails while it runs (not at validation): the middle fee raises in simulate().
    import gramabm.simulation

    real = gramabm.simulation.simulate

    def flaky(config, seed, **kwargs):
        if config.primary.mint_fee_bp == 50.0:
            raise RuntimeError("the order book caught fire")
        return real(config, seed, **kwargs)

    monkeypatch.setattr(gramabm.simulation, "simulate", flaky)
    spec = _spec(replications=1)
    summary = run_sweep(spec, tmp_path, progress=False)
    assert (summary.executed, summary.failed) == (3, 1)
    assert summary.first_error == "RuntimeError: the order book caught fire"
    table = read_results(tmp_path)
    failed = table[table["status"] == "failed"]
    assert failed["p_primary__mint_fee_bp"].tolist() == [50.0]
    error = failed["error"].iloc[0]
    assert error.startswith("Traceback")
    assert "order book caught fire" in error
    assert summary.failed_ids == failed["run_id"].tolist()
    ok = table[table["status"] == "ok"]
    assert len(ok) == 2
    assert ok["m_worst_discount_bp"].notna().all()
    assert (ok["error"] == "").all()

    again = run_sweep(spec, tmp_path, progress=False)  # failed runs count as finished
    assert (again.executed, again.skipped, again.failed_before) == (0, 3, 1)
    assert again.any_failed
    assert "caught fire" in again.first_error
    retried = run_sweep(spec, tmp_path, progress=False, retry_failed=True)
    assert (retried.executed, retried.failed, retried.skipped) == (1, 1, 2)


def test_rerun_resumes_only_missing_runs(tmp_path) -> None:
    spec = _spec(replications=1)
    run_sweep(spec, tmp_path, progress=False)
    full = _table(tmp_path)
    files = sorted((tmp_path / "runs").glob("*.parquet"))
    kept = {p.name: p.stat().st_mtime_ns for p in files[1:]}
    files[0].unlink()
    summary = run_sweep(spec, tmp_path, progress=False)
    assert (summary.total, summary.executed, summary.skipped) == (3, 1, 2)
    assert {p.name: p.stat().st_mtime_ns for p in files[1:]} == kept
    pd.testing.assert_frame_equal(_table(tmp_path), full)


def test_more_replications_extend_a_sweep_but_other_changes_are_refused(tmp_path) -> None:
    run_sweep(_spec(replications=1), tmp_path, progress=False)
    extended = run_sweep(_spec(replications=2), tmp_path, progress=False)
    assert (extended.executed, extended.skipped) == (3, 3)
    with pytest.raises(ConfigError, match="different name or base configuration"):
        run_sweep(_spec(holders=301), tmp_path, progress=False)
    with pytest.raises(ConfigError, match="not in this design"):
        run_sweep(_spec(parameters={"primary.mint_fee_bp": [0.0]}), tmp_path, progress=False)


def test_timeseries_kept_and_manifest_written(tmp_path) -> None:
    spec = _spec(replications=1, keep_timeseries=True, parameters={"mint_fee_bp": [0.0]})
    run_sweep(spec, tmp_path, progress=False)
    (run_id,) = read_results(tmp_path)["run_id"]
    assert (tmp_path / TIMESERIES_DIR / f"{run_id}.parquet").exists()
    steps = query(
        tmp_path, "SELECT run_id, count(*) AS n, max(step) AS last FROM timeseries GROUP BY 1"
    )
    assert steps.to_dict("records") == [{"run_id": run_id, "n": 120, "last": 119}]
    manifest = read_manifest(tmp_path)
    assert manifest["experiment"] == "small"
    assert manifest["runs"] == 1
    assert manifest["parameters"][0]["column"] == "p_primary__mint_fee_bp"
    assert manifest["base_config"]["holders"]["n"] == 300


def test_execute_run_is_a_picklable_top_level_function() -> None:
    assert pickle.loads(pickle.dumps(execute_run)) is execute_run
    assert execute_run.__module__ == "gramabm.sweeps.runner"
    run = expand(_spec(replications=1, parameters={"mint_fee_bp": [0.0]}))[0]
    row = execute_run(run.to_dict())
    assert row["run_id"] == run.run_id
    assert row["status"] == "ok"
    assert row["p_primary__mint_fee_bp"] == 0.0
    assert isinstance(row["m_governance_actions"], str)  # lists become JSON text
    assert row == {**execute_run(run.to_dict()), "elapsed_s": row["elapsed_s"]}  # one seed, one row


def test_bad_arguments_are_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match="workers"):
        run_sweep(_spec(), tmp_path, workers=0, progress=False)
    with pytest.raises(ConfigError, match="not both"):
        run_sweep(_spec(), tmp_path, dask=True, scheduler="tcp://x:1", progress=False)
    assert runner.SweepSummary(tmp_path, 1, 0, 1, 0, 0.0, 1).runs_per_minute == 0.0
