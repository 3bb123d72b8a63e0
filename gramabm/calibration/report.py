"""The calibration report: every target beside its simulated value, in and out of sample.

:func:`write_report` takes a :class:`~gramabm.calibration.optimise.CalibrationResult`, re-runs
the calibrated parameters on the **later period** (the out-of-sample setup of
:func:`~gramabm.calibration.objective.calibration_setups`: scenarios rebuilt on the years after
the calibration period, the September 2011 replay as the severe shock) and writes:

* ``report.md``: the setup, the objective, the parameters (bounds, start, calibrated), and for
  each period a table of every target beside its simulated value, the per-seed values, ``z`` and
  a mark (``within`` / ``OUTSIDE``), followed by one plain sentence per target saying whether it
  is met and, if not, by how much it misses;
* ``moments.csv``: the same tables as data (one row per period and target);
* ``parameters.csv`` and ``history.csv`` (every evaluation's parameters and loss);
* ``moments.png``: per target, the seeds' values at the start, calibrated and out of sample,
  against the target range (shaded); ``objective.png``: the loss by evaluation;
* ``calibrated.toml``: the preset (configuration overrides; see
  :mod:`gramabm.calibration.presets`) and ``calibrated.csv``, the moments table to ship beside it.

A fit on observed data (:mod:`gramabm.calibration.observed`) adds to ``report.md`` where the
targets come from (data targets: the observed file and period; literature ranges: the stress
targets), what every evaluation replayed (the windows), the loss path, and the **verdicts**
(:class:`Verdict`): full ``gramabm validate`` runs of the calibrated configuration in sample and
out of sample, each as validate's table in the report and validate's files in its own folder.

Nothing written holds a timestamp or a timing, so one calibration gives the same files.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from gramabm.analysis.render.plots import save_figure
from gramabm.calibration.moments import MISSING_Z, OBSERVED, MomentResult, Target, format_number
from gramabm.calibration.objective import CalibrationSetup, Evaluation, MomentObjective
from gramabm.calibration.optimise import CalibrationResult
from gramabm.calibration.presets import CALIBRATED, write_preset
from gramabm.validate import ValidationResult, write_validation
from gramabm.validate.report import markdown_table

MOMENT_COLUMNS: tuple[str, ...] = (
    "period",
    "target",
    "origin",
    "scenario",
    "statistic",
    "description",
    "target_text",
    "kind",
    "lo",
    "hi",
    "scale",
    "tolerance",
    "weight",
    "simulated",
    "z",
    "within",
    "mark",
    "seed_values",
    "verdict",
    "source",
)
"""Columns of ``moments.csv`` (and of the shipped ``calibrated.csv``)."""

_NOT_TARGETED = (
    "Gold's own stylised facts (annualised volatility of 15-20%, excess kurtosis of 7-14, "
    "volatility clustering; docs/model.md D5) are not calibration targets: the model does not "
    "generate gold prices, it replays each scenario's gold path (a bootstrap of history, a "
    "GARCH-t simulation, a shaped shock or a dated replay), so those facts belong to the "
    "scenario generators and no behavioural parameter can move them. The model does generate "
    "the token's price; `calm_vol_ratio` checks that the token carries gold's volatility. "
    "Order-book depth (docs/model.md D3: $9.5-12M moved XAUT's DEX price by 6-8%) is not targeted "
    "either: it is an absolute size, and the simulated token is far smaller than XAUT."
)


@dataclass(frozen=True)
class CalibrationReport:
    """The written report.

    Args:
        directory: Where it was written.
        files: Paths by name (``report``, ``moments``, ``parameters``, ``history``,
            ``moments_png``, ``objective_png``, ``preset``, ``preset_csv``).
        result: The calibration.
        out_of_sample: The calibrated parameters on the later period (None if not checked).
    """

    directory: Path
    files: dict[str, Path]
    result: CalibrationResult
    out_of_sample: Evaluation | None = None
    lines: tuple[str, ...] = field(default_factory=tuple)
    verdicts: tuple[Verdict, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """A full ``gramabm validate`` run of the calibrated configuration on one period.

    Args:
        key: Folder of its files under the report (``validate_in_sample``, ...).
        title: Heading: which period, and whether the fit saw it.
        result: The validation (None when the period could not be checked).
        note: Why there is no result.
    """

    key: str
    title: str
    result: ValidationResult | None
    note: str = ""


def evaluate_out_of_sample(result: CalibrationResult, setup: CalibrationSetup) -> Evaluation:
    """The calibrated parameters scored on another setup (the later period).

    Args:
        result: The calibration.
        setup: The out-of-sample setup (same targets, later data).

    Returns:
        The evaluation.
    """
    objective = MomentObjective(setup, result.parameters)
    return objective.evaluate(result.best.params)


def moment_rows(evaluation: Evaluation, period: str) -> list[dict[str, Any]]:
    """The CSV rows of one evaluation's moments.

    Args:
        evaluation: The evaluation.
        period: Label of the period (``"calibration"``, ``"out_of_sample"``, ``"start"``).

    Returns:
        One dict per target, keys :data:`MOMENT_COLUMNS`.
    """
    rows = []
    for m in evaluation.moments:
        t = m.target
        rows.append(
            {
                "period": period,
                "target": t.name,
                "origin": t.origin,
                "scenario": t.scenario,
                "statistic": t.statistic,
                "description": t.description,
                "target_text": t.target_text(),
                "kind": t.kind,
                "lo": "" if t.lo is None else t.lo,
                "hi": "" if t.hi is None else t.hi,
                "scale": "log" if t.log else "linear",
                "tolerance": _round(t.tolerance),
                "weight": t.weight,
                "simulated": _round(m.simulated),
                "z": _round(m.z),
                "within": bool(m.within),
                "mark": _mark(m),
                "seed_values": ";".join(str(_round(v)) for v in m.values),
                "verdict": m.verdict,
                "source": t.source,
            }
        )
    return rows


def _round(value: float) -> float | str:
    if not math.isfinite(value):
        return ""
    return float(f"{value:.6g}")


def _mark(m: MomentResult) -> str:
    return "within" if m.within else "OUTSIDE"


def _write_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


# --------------------------------------------------------------------------- figures


def plot_moments(
    start: Evaluation, calibrated: Evaluation, out_of_sample: Evaluation | None = None
) -> Figure:
    """Per target: the seeds' values at the start, calibrated and out of sample, vs the target.

    The target range is shaded (one-sided targets shade from their bound outward); each seed is
    a dot, the simulated moment a bar.
    """
    columns = [("start", start), ("calibrated", calibrated)]
    if out_of_sample is not None:
        columns.append(("out of sample", out_of_sample))
    n = len(calibrated.moments)
    ncols = 4 if n > 4 else n
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.9 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for k, target in enumerate(m.target for m in calibrated.moments):
        ax = axes[k]
        values = []
        for j, (_, evaluation) in enumerate(columns):
            # An out-of-sample check may measure fewer targets (the literature ones only).
            found = [m for m in evaluation.moments if m.target.name == target.name]
            if not found:
                continue
            m = found[0]
            finite = [v for v in m.values if math.isfinite(v)]
            values += finite + ([m.simulated] if math.isfinite(m.simulated) else [])
            colour = "#2e7d32" if m.within else "#c62828"
            offsets = np.linspace(-0.15, 0.15, len(finite)) if len(finite) > 1 else [0.0]
            ax.scatter(
                [j + o for o in offsets][: len(finite)], finite, s=14, color=colour, alpha=0.7
            )
            if math.isfinite(m.simulated):
                ax.hlines(m.simulated, j - 0.25, j + 0.25, color=colour, linewidth=2.5)
        _shade_target(ax, target, values)
        ax.set_xticks(range(len(columns)), [c[0] for c in columns], fontsize=7)
        ax.set_xlim(-0.6, len(columns) - 0.4)
        ax.set_title(target.name, fontsize=8)
        if target.unit:
            ax.set_ylabel(target.unit, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("Simulated moments (dots: seeds; bars: mean) against targets (shaded)")
    return fig


def _shade_target(ax: Any, target: Target, values: list[float]) -> None:
    finite = [v for v in values if math.isfinite(v)]
    bounds = [b for b in (target.lo, target.hi) if b is not None]
    span = finite + bounds
    lo_view, hi_view = min(span), max(span)
    if target.log:
        floor = max(min(v for v in span if v > 0) if any(v > 0 for v in span) else 1e-3, 1e-12)
        ax.set_yscale("log")
        lo_view = max(lo_view, floor) / 1.5
        hi_view = hi_view * 1.5
    else:
        pad = 0.15 * (hi_view - lo_view or max(abs(hi_view), 1.0))
        lo_view, hi_view = lo_view - pad, hi_view + pad
    if target.statistic == "mm_withdrew":  # a share of seeds: show the whole 0..1 scale
        lo_view, hi_view = -0.1, 1.1
    low = target.lo if target.lo is not None else lo_view
    high = target.hi if target.hi is not None else hi_view
    ax.axhspan(low, high, color="#1f4e79", alpha=0.15, linewidth=0)
    ax.set_ylim(lo_view, hi_view)
    if target.log:  # plain numbers on log axes, not powers of ten
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())


def plot_history(history: Sequence[Evaluation]) -> Figure:
    """The loss of every evaluation and the best so far."""
    fig = Figure(figsize=(7.0, 3.2), layout="constrained")
    ax = fig.subplots()
    losses = np.array([e.loss for e in history])
    ax.scatter(np.arange(1, losses.size + 1), losses, s=12, color="#1f4e79", label="evaluation")
    ax.step(
        np.arange(1, losses.size + 1),
        np.minimum.accumulate(losses),
        where="post",
        color="#c62828",
        label="best so far",
    )
    if np.all(losses > 0):
        ax.set_yscale("log")
    ax.set_xlabel("evaluation")
    ax.set_ylabel("loss (weighted mean z²)")
    ax.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------- text


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|")


def _fit_table(evaluation: Evaluation) -> list[str]:
    lines = [
        "| target | origin | scenario | target value | simulated | per seed | z | weight | mark |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in evaluation.moments:
        t = m.target
        unit = f" {t.unit}" if t.unit else ""
        seeds = ", ".join(format_number(v) for v in m.values)
        mark = "within" if m.within else "**OUTSIDE**"
        lines.append(
            f"| {t.name} | {t.origin} | {t.scenario} | {_cell(t.target_text())} | {format_number(m.simulated)}{unit} | "
            f"{seeds} | {m.z:+.2f} | {t.weight:g} | {mark} |"
        )
    return lines


def _verdicts(evaluation: Evaluation) -> list[str]:
    met = evaluation.n_within
    total = len(evaluation.moments)
    lines = [f"{met} of {total} targets are within tolerance; loss {evaluation.loss:.3f}.", ""]
    lines += [f"- {m.verdict}" for m in evaluation.moments]
    return lines


def _observed_sections(result: CalibrationResult, space: str | None) -> list[str]:
    """Where the targets come from and what every evaluation replays (a fit on observed data)."""
    fit = result.observed
    assert fit is not None
    setup = result.setup
    data = [m.target for m in result.best.moments if m.target.origin == "data"]
    literature = [m.target for m in result.best.moments if m.target.origin == "literature"]
    lines = [
        "## Targets: data and literature",
        "",
        (
            f"**Data targets** ({len(data)}): the facts `gramabm validate` measures, measured on "
            f"the observed series `{fit.facts.source}` over the fit period {fit.period} "
            f"({int(fit.facts.values['days'])} days with a close and a fix), each matched by the "
            "model replaying the same gold path. The target is the observed value and validate's "
            "tolerance is the scale of its standardised distance (|z| <= 1: validate would pass "
            "it); validate's rules on the simulation alone (the book's sides, supply, panic) are "
            "targets at their bound."
        ),
        "",
    ]
    if fit.skipped:
        lines += ["Rules left out (the data cannot give them):", ""]
        lines += [f"- {_cell(reason)}" for reason in fit.skipped]
        lines.append("")
    lines += [
        (
            f"**Literature ranges** ({len(literature)}): what a calm observed series cannot "
            "show, the token's behaviour in shocks and under safe-haven demand, measured on the "
            f"calibration scenarios built on the {setup.label}: "
            + (", ".join(f"`{t.name}`" for t in literature) or "none (left out)")
            + "."
        ),
        "",
        "## Evaluation sample",
        "",
        (
            f"Every evaluation replays {fit.sample_text}, with seeds "
            f"{', '.join(map(str, fit.seeds))} (the same for every evaluation: common random "
            f"numbers) and {setup.base.holders.n:,} holders. Window facts are measured on each "
            "seed's windows pooled (hourly returns never span a gap between windows); the "
            "simulated moment is the mean over seeds. The verdict below is not this sample but "
            "full-period `gramabm validate` runs of the calibrated configuration."
        ),
        "",
    ]
    if space:
        lines += [f"Parameter space: `{space}`.", ""]
    return lines


def _verdict_sections(verdicts: Sequence[Verdict]) -> list[str]:
    lines: list[str] = []
    for v in verdicts:
        lines += [f"## {v.title}", ""]
        if v.result is None:
            lines += [v.note, ""]
            continue
        r = v.result
        status = r.status
        lines += [
            (
                f"`gramabm validate` of the calibrated configuration: {r.scenario}, seeds "
                f"{', '.join(str(x.seed) for x in r.runs)}, {r.config['holders']['n']:,} holders, "
                f"preset {r.config['primary']['preset']}, policy {r.config['holders']['policy']}. "
                f"Verdicts on the seeds' median: **{status}**. Files: `{v.key}/`."
            ),
            "",
            *markdown_table(r),
            "",
        ]
    return lines


def report_markdown(
    result: CalibrationResult,
    out_of_sample: Evaluation | None,
    oos_label: str | None,
    verdicts: Sequence[Verdict] = (),
    space: str | None = None,
) -> str:
    """The markdown report (see the module docstring)."""
    setup = result.setup
    best, start = result.best, result.start
    n_seeds = len(setup.seeds)
    fit = result.observed
    where = (
        f"the observed series `{fit.facts.source}` ({fit.period})"
        + (f" and the {setup.label}" if setup.targets else "")
        if fit is not None
        else f"the {setup.label}"
    )
    lines = [
        "# Calibration report",
        "",
        (
            f"Method of simulated moments on {where}: {len(setup.scenarios)} scenarios"
            + (" and the observed period's replay" if fit is not None else "")
            + ", "
            f"{n_seeds} seed{'s' * (n_seeds != 1)} each (seeds {', '.join(map(str, setup.seeds))}, "
            f"the same for every evaluation), {setup.base.holders.n:,} holders, holder policy "
            f"`{setup.policy}`. Optimiser: {result.method}, {len(result.history)} evaluations of a "
            f"budget of {result.budget} (search seed {result.seed})."
        ),
        "",
        *(_observed_sections(result, space) if fit is not None else []),
        "## Objective",
        "",
        (
            "Loss = sum of weight × z² over the targets, divided by the sum of the weights; z is the "
            "standardised distance of the simulated moment (mean over seeds, on the target's scale) "
            "from the target: for a range, (value − centre) / half-width; for a one-sided target, "
            "the shortfall over its width (0 when met). A target is **within** when the simulated "
            "moment lies in its range or beyond its one-sided bound."
        ),
        "",
        (
            f"Loss at the start (the base configuration): {start.loss:.3f} "
            f"({start.n_within} of {len(start.moments)} targets within). "
            f"Calibrated: {best.loss:.3f} ({best.n_within} of {len(best.moments)} within)."
        ),
        "",
        "## Scenarios",
        "",
        "| key | scenario | steps | what it stands for |",
        "|---|---|---|---|",
    ]
    for key, spec in setup.scenarios.items():
        lines.append(f"| {key} | `{spec.scenario}` | {spec.steps} | {spec.description} |")
    if fit is not None:
        steps = sum(plan.steps for plan in fit.plans())
        lines.append(
            f"| {OBSERVED} | `{fit.plan.scenario}` | {steps} | the observed token's gold "
            f"replayed: {_cell(fit.sample_text)} |"
        )
    lines += [
        "",
        "## Parameters",
        "",
        "| parameter | bounds | scale | start | calibrated | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for p in result.parameters:
        lines.append(
            f"| `{p.key}` | {format_number(p.lo)} to {format_number(p.hi)} | {'log' if p.log else 'linear'} | "
            f"{format_number(start.params[p.key])} | {format_number(best.params[p.key])} | {p.description} |"
        )
    lines += ["", f"## Fit: {result.label}", "", *_fit_table(best), "", *_verdicts(best)]
    lines += [
        "",
        "## Loss path",
        "",
        (
            f"{len(result.history)} evaluations (`history.csv`, `objective.png`): loss "
            f"{start.loss:.3f} at the start, best {best.loss:.3f} at evaluation {best.index + 1}."
        ),
        "",
        "| evaluation | loss | best so far | targets within |",
        "|---|---|---|---|",
    ]
    best_so_far = math.inf
    for e in result.history:
        best_so_far = min(best_so_far, e.loss)
        lines.append(
            f"| {e.index + 1} | {e.loss:.3f} | {best_so_far:.3f} | {e.n_within} of {len(e.moments)} |"
        )
    lines += ["", *_verdict_sections(verdicts)]
    if out_of_sample is not None:
        literature_only = fit is not None
        lines += [
            "",
            "## Out-of-sample check"
            + (" of the literature targets" if literature_only else "")
            + f": {oos_label}",
            "",
            (
                "The calibrated parameters, unchanged, on scenarios rebuilt from the later years "
                "(the severe shock is a replay of a later episode)."
                + (
                    " The data targets' out-of-sample check is the validate verdict above."
                    if literature_only
                    else ""
                )
            ),
            "",
            *_fit_table(out_of_sample),
            "",
            *_verdicts(out_of_sample),
        ]
    lines += [
        "",
        "## Targets and sources",
        "",
        "| target | what is measured | source |",
        "|---|---|---|",
    ]
    lines += [
        f"| {m.target.name} | {_cell(m.target.description)} | {_cell(m.target.source)} |"
        for m in best.moments
    ]
    failed = [e for e in result.history if e.errors]
    if failed or (out_of_sample is not None and out_of_sample.errors):
        lines += ["", "## Runs that failed", ""]
        lines.append(
            f"{len(failed)} of {len(result.history)} evaluations had runs that stopped on an "
            "error; their scenarios' targets counted as not measured (z = "
            f"{MISSING_Z:g}), which steers the search away from them."
        )
        lines.append("")
        for e in failed:
            lines += [f"- evaluation {e.index}: {_cell(msg)}" for msg in e.errors]
        if out_of_sample is not None:
            lines += [f"- out of sample: {_cell(msg)}" for msg in out_of_sample.errors]
    lines += ["", "## Not targeted", "", _NOT_TARGETED, ""]
    lines += [
        "## Files",
        "",
        (
            "`moments.csv` (these tables), `parameters.csv`, `history.csv` (every evaluation), "
            "`moments.png`, `objective.png`, and the preset `calibrated.toml` with its table "
            "`calibrated.csv` (copy both into `gramabm/calibration/presets/` to ship them)."
        ),
        "",
    ]
    return "\n".join(lines)


def preset_comments(
    result: CalibrationResult,
    out_of_sample: Evaluation | None,
    verdicts: Sequence[Verdict] = (),
) -> list[str]:
    """Header lines of the preset file: what it is and how well it fits."""
    setup = result.setup
    best = result.best
    fit = result.observed
    observed = []
    if fit is not None:
        observed.append(
            f"Data targets: validate's facts on {fit.facts.source}, {fit.period}; "
            f"evaluations replayed {len(fit.windows) or 'the whole'} "
            f"{'windows' if fit.windows else 'period'}."
        )
        for v in verdicts:
            if v.result is not None:
                judged = int(v.result.table["verdict"].isin(("pass", "fail")).sum())
                observed.append(
                    f"{v.title}: {judged - len(v.result.failed)} of {judged} judged facts pass."
                )
    return [
        "gramabm preset 'calibrated': behavioural parameters fitted by `gramabm calibrate`",
        "(method of simulated moments; gramabm.calibration). Use: gramabm run --config calibrated",
        *observed,
        (
            f"Fitted on the {result.label}: {len(setup.seeds)} seeds, "
            f"{setup.base.holders.n} holders, {result.method}, {len(result.history)} evaluations."
        ),
        f"Loss {result.start.loss:.3f} at the start -> {best.loss:.3f}; targets within: "
        f"{best.n_within}/{len(best.moments)} in the fit"
        + (
            f", {out_of_sample.n_within}/{len(out_of_sample.moments)} out of sample."
            if out_of_sample is not None
            else "."
        ),
        "Every target beside its simulated value: calibrated.csv (beside this file).",
        "The population size is part of the fit: market makers and arbitrageurs have fixed",
        "sizes, so another holders.n changes the balance of flow against liquidity.",
    ]


def write_report(
    result: CalibrationResult,
    out_dir: str | Path,
    *,
    out_of_sample: CalibrationSetup | None = None,
    verdicts: Sequence[Verdict] = (),
    space: str | None = None,
    preset_holders: int | None = None,
) -> CalibrationReport:
    """Write the calibration report (files listed in the module docstring).

    Args:
        result: The calibration.
        out_dir: Directory to write into (created).
        out_of_sample: The later-period setup; None skips the out-of-sample check.
        verdicts: Full ``validate`` runs of the calibrated configuration (a fit on observed
            data); each writes its files into ``<out_dir>/<key>/``.
        space: Where the parameter space came from, for the report.
        preset_holders: Population of the preset (default: the fit's).

    Returns:
        The report, with the out-of-sample evaluation.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    oos = evaluate_out_of_sample(result, out_of_sample) if out_of_sample is not None else None
    files: dict[str, Path] = {}
    rows = moment_rows(result.best, "calibration")
    if oos is not None:
        rows += moment_rows(oos, "out_of_sample")
    all_rows = moment_rows(result.start, "start") + rows
    files["moments"] = _write_csv(out / "moments.csv", all_rows, MOMENT_COLUMNS)
    files["parameters"] = _write_csv(
        out / "parameters.csv",
        [
            {
                "parameter": p.key,
                "lo": p.lo,
                "hi": p.hi,
                "scale": "log" if p.log else "linear",
                "start": result.start.params[p.key],
                "calibrated": result.best.params[p.key],
                "description": p.description,
            }
            for p in result.parameters
        ],
        ("parameter", "lo", "hi", "scale", "start", "calibrated", "description"),
    )
    keys = [p.key for p in result.parameters]
    files["history"] = _write_csv(
        out / "history.csv",
        [
            {
                "evaluation": e.index,
                "loss": _round(e.loss),
                "within": e.n_within,
                **e.params,
                "errors": " | ".join(e.errors),
            }
            for e in result.history
        ],
        ("evaluation", "loss", "within", *keys, "errors"),
    )
    files["moments_png"] = save_figure(
        plot_moments(result.start, result.best, oos), out / "moments.png"
    )
    files["objective_png"] = save_figure(plot_history(result.history), out / "objective.png")
    for v in verdicts:
        if v.result is not None:
            files[v.key] = write_validation(v.result, out / v.key)["html"]
    overrides = result.preset_overrides()
    if preset_holders is not None:
        overrides["holders.n"] = preset_holders
    files["preset"] = write_preset(
        out / f"{CALIBRATED}.toml", overrides, preset_comments(result, oos, verdicts)
    )
    files["preset_csv"] = _write_csv(out / f"{CALIBRATED}.csv", rows, MOMENT_COLUMNS)
    text = report_markdown(
        result, oos, out_of_sample.label if out_of_sample else None, verdicts, space
    )
    files["report"] = out / "report.md"
    files["report"].write_text(text, encoding="utf-8")
    summary = _verdicts(result.best) + (["", *_verdicts(oos)] if oos is not None else [])
    return CalibrationReport(out, files, result, oos, tuple(summary), tuple(verdicts))
