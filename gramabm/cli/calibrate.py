"""`gramabm calibrate`: fit the model's parameters and write the calibration report.

Two kinds of targets: with ``--observed`` (and ``--gold``), the facts ``gramabm validate``
measures on an observed token series over the fit period, scored with validate's tolerances,
beside the literature ranges of what the data cannot show (stress behaviour); without it, the
published token-market ranges alone (the fit as it always was).

Heavy libraries are imported inside the command so ``gramabm --help`` answers at once. Errors of
the kit (``GramabmError``) are not caught here: the entry point prints them and exits with status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gramabm.cli.options import (
    CloseColumnOption,
    GoldDateColumnOption,
    GoldPriceColumnOption,
    HighColumnOption,
    LowColumnOption,
    OpenColumnOption,
    OuncesPerTokenOption,
    SupplyColumnOption,
    TimeColumnOption,
    VolumeColumnOption,
    VolumeUnitOption,
    observed_from_options,
)
from gramabm.validate.defaults import DEFAULT_SEEDS

if TYPE_CHECKING:
    from gramabm.calibration.observed import ObservedFit
    from gramabm.calibration.optimise import CalibrationResult
    from gramabm.calibration.report import CalibrationReport, Verdict
    from gramabm.config import ModelConfig

WINDOW_DAYS: int = 30
"""Days per window when ``--windows`` is given without ``--window-days``."""

CHECK_SEEDS: int = DEFAULT_SEEDS
"""Seeds of each verdict's ``validate`` run unless ``--check-seeds`` says otherwise."""


def calibrate(
    ctx: typer.Context,
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
        typer.Option(
            "--steps-scale", min=0.01, help="Factor on every literature scenario's length."
        ),
    ] = 1.0,
    method: Annotated[
        str, typer.Option("--method", help="nelder-mead or differential-evolution.")
    ] = "nelder-mead",
    policy: Annotated[
        str,
        typer.Option("--policy", help="Holder policy: default (learned), rule_based or a file."),
    ] = "default",
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the search (and of the windows).")
    ] = 0,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Gold history CSV for the literature scenarios [built-in]."),
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
    config: Annotated[
        str | None,
        typer.Option("--config", help="Base configuration: a TOML file or a shipped name."),
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="Primary-market preset: paxg, xaut, ...")
    ] = None,
    space: Annotated[
        Path | None,
        typer.Option(
            "--space",
            help="TOML parameter space ([[parameter]] key, lo, hi, log) "
            "[with --observed: the shipped calm-market space; else the built-in list].",
        ),
    ] = None,
    observed: Annotated[
        Path | None,
        typer.Option("--observed", help="Observed token candles CSV: fit validate's facts."),
    ] = None,
    gold: Annotated[
        Path | None, typer.Option("--gold", help="Daily gold fix CSV of the observed period.")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day of the fit.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day of the fit.")] = None,
    check_start: Annotated[
        str | None,
        typer.Option("--check-start", help="First out-of-sample day [the day after --end]."),
    ] = None,
    check_end: Annotated[
        str | None, typer.Option("--check-end", help="Last out-of-sample day [the data's last].")
    ] = None,
    windows: Annotated[
        int | None,
        typer.Option(
            "--windows", min=1, help="Replay this many windows of the fit period per evaluation."
        ),
    ] = None,
    window_days: Annotated[
        int | None, typer.Option("--window-days", min=1, help=f"Days per window [{WINDOW_DAYS}].")
    ] = None,
    check_seeds: Annotated[
        int | None,
        typer.Option(
            "--check-seeds", min=1, help=f"Seeds of the validate verdicts [{CHECK_SEEDS}]."
        ),
    ] = None,
    check_holders: Annotated[
        int | None,
        typer.Option("--check-holders", min=1, help="Holders of the verdicts and the preset."),
    ] = None,
    literature: Annotated[
        bool | None,
        typer.Option(
            "--literature/--no-literature",
            help="Keep the stress literature targets beside the data targets [keep].",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes running the observed replays' seeds.")
    ] = 1,
    time_column: TimeColumnOption = None,
    close_column: CloseColumnOption = None,
    open_column: OpenColumnOption = None,
    high_column: HighColumnOption = None,
    low_column: LowColumnOption = None,
    volume_column: VolumeColumnOption = None,
    supply_column: SupplyColumnOption = None,
    volume_unit: VolumeUnitOption = "tokens",
    ounces_per_token: OuncesPerTokenOption = 1.0,
    gold_date_column: GoldDateColumnOption = "date",
    gold_price_column: GoldPriceColumnOption = "price",
) -> None:
    """Fit the model's parameters by the method of simulated moments and report the fit.

    With --observed and --gold: the targets are the facts `gramabm validate` measures on the
    observed token over --start..--end (validate's tolerances as their scale), beside the stress
    literature ranges; the report ends with full validate runs of the fit in sample and out of
    sample. Without: the published token-market ranges. Writes report.md, CSVs, PNGs and the
    calibrated.toml preset into --out.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from gramabm.calibration.moments import STRESS_TARGETS, TARGETS
    from gramabm.calibration.objective import DEFAULT_PARAMETERS, Evaluation, calibration_setups
    from gramabm.calibration.optimise import calibrate as run_calibration
    from gramabm.calibration.report import write_report
    from gramabm.calibration.space import CALM_MARKET_SPACE, load_space
    from gramabm.config import load_config
    from gramabm.errors import ConfigError

    observed_only = {
        "--gold": gold,
        "--start": start,
        "--end": end,
        "--check-start": check_start,
        "--check-end": check_end,
        "--windows": windows,
        "--window-days": window_days,
        "--check-seeds": check_seeds,
        "--check-holders": check_holders,
        "--literature/--no-literature": literature,
        "--time-column": time_column,
        "--close-column": close_column,
        "--open-column": open_column,
        "--high-column": high_column,
        "--low-column": low_column,
        "--volume-column": volume_column,
        "--supply-column": supply_column,
    }
    if observed is None:
        given = [name for name, value in observed_only.items() if value is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} only apply with --observed (a token series)")
    elif gold is None:
        raise ConfigError("--observed needs --gold: the daily gold fixes of the observed period")
    if window_days is not None and windows is None:
        raise ConfigError("--window-days needs --windows (how many windows to replay)")

    base = load_config(config, preset=preset) if config or preset else None
    prices = None
    if csv is not None:
        from gramabm.data.loaders import load_gold

        prices = load_gold(csv=csv)
    keep_literature = literature is not False
    targets = TARGETS if observed is None else (STRESS_TARGETS if keep_literature else ())
    setup, later = calibration_setups(
        holders=holders,
        seeds=seeds,
        steps_scale=steps_scale,
        policy=policy,
        prices=prices,
        base=base,
        targets=targets,
    )
    space_file = space if space is not None else (CALM_MARKET_SPACE if observed else None)
    parameters = (
        load_space(space_file, setup.base) if space_file is not None else DEFAULT_PARAMETERS
    )

    fit = None
    check_period: tuple[Any, Any] | None = None
    if observed is not None and gold is not None:
        from gramabm.calibration.observed import observed_fit

        candles, fixes = observed_from_options(ctx.params)
        fit = observed_fit(
            candles,
            fixes,
            seeds=setup.seeds,
            start=start,
            end=end,
            windows=windows or 0,
            window_days=window_days or WINDOW_DAYS,
            window_seed=seed,
            workers=workers,
        )
        check_period = _check_period(fit, check_start, check_end) if out_of_sample else None

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} evaluations"),
        TextColumn("best loss {task.fields[best]}"),
        TimeElapsedColumn(),
    )
    # A bar on a terminal; in a pipe or log (a fit runs for many minutes), one line an evaluation.
    console = Console(stderr=True)
    with Progress(
        *columns, console=console, transient=as_json, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("calibrating", total=budget, best="-")

        def tick(latest: Evaluation, best: Evaluation) -> None:
            bar.update(task, completed=latest.index + 1, best=f"{best.loss:.3f}")
            if not console.is_terminal:
                console.print(
                    f"evaluation {latest.index + 1}/{budget}: loss {latest.loss:.3f} "
                    f"(best {best.loss:.3f})"
                )

        result = run_calibration(
            setup,
            parameters,
            budget=budget,
            method=method,
            seed=seed,
            progress=tick,
            observed=fit,
        )
    verdicts: list[Verdict] = []
    preset_holders = None
    if fit is not None:
        preset_holders = check_holders or holders
        cfg = setup.config_for(result.best.params).with_updates(
            {"holders.policy": setup.policy, "holders.n": preset_holders, **result.venue()}
        )
        verdicts = _verdicts(
            fit,
            cfg,
            seeds=check_seeds or CHECK_SEEDS,
            start=start,
            end=end,
            check=check_period,
            check_wanted=out_of_sample,
            workers=workers,
            quiet=as_json,
        )
    report = write_report(
        result,
        out,
        out_of_sample=later if out_of_sample and later.targets else None,
        verdicts=verdicts,
        space=str(space_file) if space_file is not None else None,
        preset_holders=preset_holders,
    )
    if as_json:
        typer.echo(json.dumps(_summary(out, result, report)))
        return
    for line in result_blocks(report, result.label, later.label if report.out_of_sample else None):
        typer.echo(line)
    typer.echo(f"report: {report.files['report']}")
    typer.echo(f"preset: {report.files['preset']}")


def _check_period(fit: ObservedFit, start: str | None, end: str | None) -> tuple[Any, Any] | None:
    """The out-of-sample period, checked before the search so a bad one loses no work.

    Default: from the day after the fit period to the data's end; None when the data end with
    the fit period (and no period was asked for).

    Raises:
        DataValidationError: An asked period the data do not cover.
    """
    import pandas as pd

    from gramabm.validate.study import plan_replay

    first = start if start is not None else fit.plan.last + pd.Timedelta(days=1)
    data_end = min(fit.candles.index[-1].normalize(), fit.gold.index[-1].normalize())
    if start is None and end is None and pd.Timestamp(first) > data_end:
        return None
    plan_replay(fit.candles, fit.gold, first, end)
    return first, end


def _verdicts(
    fit: ObservedFit,
    cfg: ModelConfig,
    *,
    seeds: int,
    start: str | None,
    end: str | None,
    check: tuple[Any, Any] | None,
    check_wanted: bool,
    workers: int,
    quiet: bool,
) -> list[Verdict]:
    """Full validate runs of the calibrated configuration: the fit period, then the later one."""
    from rich.console import Console

    from gramabm.calibration.observed import verdict
    from gramabm.calibration.report import Verdict

    console = Console(stderr=True, quiet=quiet)
    found = []
    periods: list[tuple[str, str, Any, Any]] = [
        ("validate_in_sample", "In sample: the fit period", start, end)
    ]
    if check is not None:
        periods.append(
            ("validate_out_of_sample", "Out of sample: not used in the fit", check[0], check[1])
        )
    for key, title, first, last in periods:
        console.print(f"validate, {title.lower()}: {seeds} seed(s), {cfg.holders.n:,} holders")
        result = verdict(
            fit,
            cfg,
            seeds=range(seeds),
            start=first,
            end=last,
            workers=workers,
            progress=lambda what, share: console.print(f"  {what} done ({share:.0%})"),
        )
        found.append(Verdict(key, f"{title}, {result.start} to {result.end}", result))
    if check is None:
        note = (
            "Not checked: --no-out-of-sample."
            if not check_wanted
            else "Not checked: the observed series and the gold data end with the fit period; "
            "give --check-start/--check-end within the data."
        )
        found.append(Verdict("validate_out_of_sample", "Out of sample: not checked", None, note))
    return found


def _summary(out: Path, result: CalibrationResult, report: CalibrationReport) -> dict[str, Any]:
    """The ``--json`` line."""
    fit = result.observed
    payload: dict[str, Any] = {
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
    if fit is not None:
        payload["data_targets"] = [t.name for t in fit.targets]
        payload["literature_targets"] = [
            m.target.name for m in result.best.moments if m.target.origin == "literature"
        ]
        payload["fit_period"] = [f"{fit.plan.compare_from.date()}", f"{fit.plan.last.date()}"]
        payload["windows"] = [[f"{w.start.date()}", f"{w.end.date()}"] for w in fit.windows]
        payload["verdicts"] = {
            v.key: None
            if v.result is None
            else {
                "period": [v.result.start, v.result.end],
                "failed": v.result.failed,
                "unjudged": v.result.unjudged,
                "uncertain": v.result.uncertain,
                "exit_status": v.result.exit_status,
            }
            for v in report.verdicts
        }
    return payload


def result_blocks(report: CalibrationReport, in_label: str, out_label: str | None) -> list[str]:
    """The fit's verdicts as labelled blocks: in-sample (fitted) and out-of-sample (checked).

    Args:
        report: The written calibration report.
        in_label: The fitting period's label.
        out_label: The later period's label (None: not checked).
    """
    blocks = [
        ("In-sample", in_label, "the period the parameters were fitted on", report.result.best)
    ]
    if report.out_of_sample is not None and out_label is not None:
        literature_only = report.result.observed is not None
        blocks.append(
            (
                "Out-of-sample, literature targets" if literature_only else "Out-of-sample",
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
    for v in report.verdicts:
        if v.result is None:
            lines += [f"validate, {v.title.lower()}: {v.note}", ""]
            continue
        r = v.result
        lines += [f"validate, {v.title.lower()}: {r.status}", ""]
    return lines
