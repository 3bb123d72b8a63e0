"""The ready studies in experiments/: their files parse, and one runs end to end in quick mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

STUDIES = Path(__file__).resolve().parents[1] / "experiments"
SWEEP_STUDIES = ("arbitrageurs", "custody", "fee_vs_severity", "replays")


@pytest.fixture
def study_common(monkeypatch):
    monkeypatch.syspath_prepend(str(STUDIES))
    import study_common

    return study_common


@pytest.mark.parametrize("study", SWEEP_STUDIES)
@pytest.mark.parametrize("quick", [False, True])
def test_every_study_file_parses(study_common, study, quick):
    specs = study_common.load_specs(STUDIES / f"{study}.toml", quick=quick)
    assert specs
    for _, spec in specs:
        assert ("_quick" in spec.name) == quick  # quick sweeps never mix with full ones


def test_a_quick_study_runs_and_writes_its_files(tmp_path):
    out = tmp_path / "fee"
    cmd = [sys.executable, str(STUDIES / "study_fee_vs_severity.py"), "--quick", "--no-progress"]
    cmd += ["--workers", "1", "--out", str(out)]
    # A hang guard, not a speed check: the quick study runs 18 runs of the fitted 10,000 holders.
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(out / "fee_vs_severity.csv")
    assert len(table) > 0
    assert (out / "fee_vs_severity.png").stat().st_size > 1000
    assert (out / "report.html").exists()


def test_a_study_refuses_a_bad_csv_before_running(tmp_path):
    bad = tmp_path / "gold.csv"
    bad.write_text("date,price\n2020-01-02,1500\n2020-01-03,-3\n")
    out = tmp_path / "fee"
    cmd = [sys.executable, str(STUDIES / "study_fee_vs_severity.py"), "--quick", "--no-progress"]
    cmd += ["--out", str(out), "--csv", str(bad)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode != 0
    assert str(bad) in done.stderr
    assert not (out / "sweeps").exists() or not any((out / "sweeps").rglob("*.parquet"))


def test_quick_variant_tables_override_their_variant_only(study_common, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\nroot_seed = 1\nsteps = 300\n[variants.calm]\nsteps = 900\n'
        "[variants.shock]\nscenarios = ['drop']\n[quick]\nsteps = 100\n"
        "[quick.variants.calm]\nsteps = 400\n"
    )
    full = dict(study_common.load_specs(path, quick=False))
    quick = dict(study_common.load_specs(path, quick=True))
    assert (full["calm"].steps, full["shock"].steps) == (900, 300)
    assert (quick["calm"].steps, quick["shock"].steps) == (400, 100)
    path.write_text(path.read_text().replace("[quick.variants.calm]", "[quick.variants.clam]"))
    with pytest.raises(Exception, match="clam"):
        study_common.load_specs(path, quick=True)


def test_every_sweep_study_starts_from_the_calibrated_configuration(study_common):
    from gramabm.config import load_config

    fitted = load_config("calibrated")
    for study in SWEEP_STUDIES:
        for _, spec in study_common.load_specs(STUDIES / f"{study}.toml", quick=True):
            assert spec.config == "calibrated"
            base = spec.base_config()
            assert base.holders.model_dump() == fitted.holders.model_dump()
            assert base.liquidity_traders.model_dump() == fitted.liquidity_traders.model_dump()
            assert base.arbitrageurs.capital_usd == fitted.arbitrageurs.capital_usd
