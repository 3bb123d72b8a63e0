"""What the commands print: tables that fit 80 columns, progress as lines in a pipe, labelled
calibration blocks, and a licence the build tools accept without a warning."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from gramabm.analysis.runs.metrics import HEADLINE_METRICS
from gramabm.cli.calibrate import result_blocks
from gramabm.cli.run import metric_tables
from gramabm.sweeps.runner import LineProgress

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = [
    "baseline",
    "adverse",
    "severely_adverse",
    "replay_jan_1980",
    "replay_feb_1983",
    "replay_2008",
    "replay_sep_2011",
]


def _render(width: int) -> str:
    rows = {name: dict.fromkeys(HEADLINE_METRICS, -1234.5678) for name in SCENARIOS}
    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    for table in metric_tables("stress test", rows, list(HEADLINE_METRICS), width):
        console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_metric_names_are_never_broken_at_80_columns() -> None:
    text = _render(80)
    assert max(len(line) for line in text.splitlines()) <= 80
    for key in HEADLINE_METRICS:
        assert re.search(rf"\b{re.escape(key)}\b", text), f"{key} was broken across lines"
    # Every scenario is shown, over several tables when needed, with whole numbers.
    for name in ("baseline", "adverse", "replay_sep_2011"):
        assert name.split("_")[0] in text
    assert "-1,234.57" in text


def test_wide_terminal_keeps_one_table() -> None:
    assert "(1/" not in _render(400)


def test_progress_in_a_pipe_is_whole_lines() -> None:
    stream = io.StringIO()
    with LineProgress(20, "fees", stream) as bar:
        for i in range(20):
            if i == 5:
                bar.set_postfix(failed=1)
            bar.update(1)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert len(lines) == 10  # one line per tenth of the runs
    assert lines[-1].startswith("fees: 20/20 runs (100%), 1 failed")


def test_calibration_blocks_are_labelled() -> None:
    def evaluation(loss: float) -> SimpleNamespace:
        moments = [SimpleNamespace(verdict="spread: 12 bp (target 10 ± 5) within")]
        return SimpleNamespace(n_within=1, moments=moments, loss=loss)

    report = SimpleNamespace(
        result=SimpleNamespace(best=evaluation(0.1), observed=None),
        out_of_sample=evaluation(0.4),
        verdicts=(),
    )
    lines = result_blocks(report, "2019-2020", "2021-2022")  # type: ignore[arg-type]
    assert lines[0].startswith("In-sample: 2019-2020")
    out = lines.index(next(line for line in lines if line.startswith("Out-of-sample")))
    assert lines[out].startswith("Out-of-sample: 2021-2022")
    assert "loss 0.400" in lines[out + 1]

    # A fit on observed data: the later period checks the literature targets only, and the
    # validate verdicts follow, each labelled with its period.
    report.result.observed = object()
    report.verdicts = (
        SimpleNamespace(title="In sample: the fit period, 2021-01-04 to 2023-12-31",
                        result=SimpleNamespace(status="every judged fact passes"), note=""),
        SimpleNamespace(title="Out of sample: not checked", result=None, note="Not checked."),
    )  # fmt: skip
    lines = result_blocks(report, "observed 2021", "2024")  # type: ignore[arg-type]
    assert any(line.startswith("Out-of-sample, literature targets: 2024") for line in lines)
    assert (
        "validate, in sample: the fit period, 2021-01-04 to 2023-12-31: every judged fact passes"
        in lines
    )
    assert "validate, out of sample: not checked: Not checked." in lines


def test_licence_is_an_spdx_expression() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in requires)
