"""`gramabm calibrate`: fit the behavioural parameters and write the calibration report.

Heavy libraries are imported inside the command so ``gramabm --help`` answers at once. Errors of
the kit (``GramabmError``) are not caught here: the entry point prints them and exits with status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gramabm.calibration.report import CalibrationReport


def calibrate(
    out: Annotated[Path, typer.Option("--out", help="Directory for the report and the preset.")],
    budget: Annotated[
        int, typer.Option("--budget", min=2, help="Objective evaluations (each runs every seed).")
    ] = 40,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds per evaluation.")] = 3,
    holders: Annotated[
        int, typer.Option("--holders", min=1, help="Holders per run (part of the fit).")
    ] = 10_000,
    steps_scale: Annotated[
        float,
        typer.Option("--steps-scale", min=0.01, help="Factor on every scenario's length."),
    ] = 1.0,
    method: Annotated[
        str, typer.Option("--method", help="nelder-mead or differential-evolution.")
    ] = "nelder-mead",
    policy: Annotated[
        str,
        typer.Option("--policy", help="Holder policy: default (learned), rule_based or a file."),
    ] = "default",
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the search.")] = 0,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Gold history CSV covering both periods [built-in]."),
    ] = None,
    out_of_sample: Annotated[
        bool,
        typer.Option(
            "--out-of-sample/--no-out-of-sample", help="Check the fit on the later period."
        ),
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary line at the end.")
    ] = False,
) -> None:
    """Fit the behavioural parameters by the method of simulated moments and report the fit.

    Herding, risk aversion, activity, the makers' withdrawal threshold, arbitrage capital, ...
    are fitted to the published token-market targets; writes report.md, CSVs, PNGs and the
    calibrated.toml preset into --out.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from gramabm.calibration.objective import Evaluation, calibration_setups
    from gramabm.calibration.optimise import calibrate as run_calibration
    from gramabm.calibration.report import write_report

    prices = None
    if csv is not None:
        from gramabm.data.loaders import load_gold

        prices = load_gold(csv=csv)
    setup, later = calibration_setups(
        holders=holders, seeds=seeds, steps_scale=steps_scale, policy=policy, prices=prices
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} evaluations"),
        TextColumn("best loss {task.fields[best]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=as_json) as bar:
        task = bar.add_task("calibrating", total=budget, best="-")

        def tick(latest: Evaluation, best: Evaluation) -> None:
            bar.update(task, completed=latest.index + 1, best=f"{best.loss:.3f}")

        result = run_calibration(setup, budget=budget, method=method, seed=seed, progress=tick)
    report = write_report(result, out, out_of_sample=later if out_of_sample else None)
    if as_json:
        payload = {
            "out": str(out),
            "evaluations": len(result.history),
            "loss_start": result.start.loss,
            "loss": result.best.loss,
            "params": result.best.params,
            "within": result.best.n_within,
            "within_out_of_sample": (
                None if report.out_of_sample is None else report.out_of_sample.n_within
            ),
            "targets": len(result.best.moments),
            "files": {k: str(v) for k, v in report.files.items()},
        }
        typer.echo(json.dumps(payload))
        return
    for line in result_blocks(report, setup.label, later.label if out_of_sample else None):
        typer.echo(line)
    typer.echo(f"report: {report.files['report']}")
    typer.echo(f"preset: {report.files['preset']}")


def result_blocks(report: CalibrationReport, in_label: str, out_label: str | None) -> list[str]:
    """The fit's verdicts as two labelled blocks: in-sample (fitted) and out-of-sample (checked).

    Args:
        report: The written calibration report.
        in_label: The fitting period's label.
        out_label: The later period's label (None: not checked).
    """
    blocks = [
        ("In-sample", in_label, "the period the parameters were fitted on", report.result.best)
    ]
    if report.out_of_sample is not None and out_label is not None:
        blocks.append(
            (
                "Out-of-sample",
                out_label,
                "a later period, not used in the fit",
                report.out_of_sample,
            )
        )
    lines: list[str] = []
    for title, label, meaning, evaluation in blocks:
        met, total = evaluation.n_within, len(evaluation.moments)
        lines += [
            f"{title}: {label} ({meaning})",
            f"  {met} of {total} targets within tolerance; loss {evaluation.loss:.3f}",
            *(f"  - {m.verdict}" for m in evaluation.moments),
            "",
        ]
    return lines
