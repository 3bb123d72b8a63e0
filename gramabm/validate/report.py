"""The files of a validation: table (CSV, JSON), figure (PNG) and one HTML page."""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from gramabm.validate.study import ValidationResult


def format_value(value: Any) -> str:
    """A table cell: NaN as ``n/a``, three decimals below 10, one above."""
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def write_figure(result: ValidationResult, path: Path) -> Path:
    """Deviation distributions, hourly returns on weekdays and weekends, close vs fix over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    obs = result.observed
    sims = [r.facts for r in result.runs]
    pooled_dev = np.concatenate([s.deviation_bp.to_numpy() for s in sims])
    bins = np.linspace(-400, 400, 81)
    ax = axes[0, 0]
    ax.hist(obs.deviation_bp.clip(-400, 400), bins, density=True, alpha=0.6, label="observed")
    ax.hist(np.clip(pooled_dev, -400, 400), bins, density=True, alpha=0.6, label="simulated")
    ax.set(title="Daily close vs fix (bp)", xlabel="bp")
    ax.legend()
    for ax, weekend, title in (
        (axes[0, 1], False, "weekdays"),
        (axes[1, 0], True, "weekends"),
    ):
        hbins = np.linspace(-100, 100, 81)

        def part(r: Any, weekend: bool = weekend) -> np.ndarray:
            return r[(r.index.day_of_week >= 5) == weekend].to_numpy()

        observed = part(obs.hourly_returns_bp)
        simulated = np.concatenate([part(s.hourly_returns_bp) for s in sims])
        ax.set(title=f"Hourly log returns, {title} (bp)", xlabel="bp")
        if not len(observed):  # a daily series: no hourly returns to draw
            ax.text(0.5, 0.5, "no hourly candles observed", ha="center", transform=ax.transAxes)
            continue
        ax.hist(np.clip(observed, -100, 100), hbins, density=True, alpha=0.6, label="observed")
        ax.hist(np.clip(simulated, -100, 100), hbins, density=True, alpha=0.6, label="simulated")
        ax.legend()
    ax = axes[1, 1]
    ax.plot(obs.deviation_bp.index, obs.deviation_bp, lw=0.8, label="observed")
    ax.plot(
        sims[0].deviation_bp.index,
        sims[0].deviation_bp,
        lw=0.8,
        label=f"simulated (seed {result.runs[0].seed})",
    )
    ax.set(title="Close vs fix over time (bp)")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend()
    fig.suptitle(f"{obs.source} against {result.scenario}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "fact"),
    ("unit", "unit"),
    ("observed", "observed"),
    ("sim_min", "sim min"),
    ("sim_median", "sim median"),
    ("sim_max", "sim max"),
    ("tolerance", "tolerance"),
    ("seeds_passing", "seeds passing"),
    ("verdict", "verdict"),
    ("agreement", "resampled agreement"),
)
"""The comparison table's columns as shown: (column of the table, heading)."""


def markdown_table(result: ValidationResult) -> list[str]:
    """The comparison table as markdown lines (the HTML page's table)."""
    lines = [
        "| " + " | ".join(head for _, head in TABLE_COLUMNS) + " |",
        "|" + "---|" * len(TABLE_COLUMNS),
    ]
    for _, row in result.table.iterrows():
        cells = [format_value(row[key]).replace("|", "\\|") for key, _ in TABLE_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_validation(result: ValidationResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``validation.csv``, ``validation.json``, ``validation.png`` and ``validation.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": out / "validation.csv",
        "json": out / "validation.json",
        "png": out / "validation.png",
        "html": out / "validation.html",
    }
    table = result.table
    table.to_csv(paths["csv"])
    document = {
        "scenario": result.scenario,
        "period": [result.start, result.end],
        "seeds": [r.seed for r in result.runs],
        "exit_status": result.exit_status,
        "failed": result.failed,
        "unjudged": result.unjudged,
        "uncertain": result.uncertain,
        "observed": result.observed.to_dict(),
        "simulated": [
            {"seed": r.seed, **r.facts.to_dict(), "market": r.market} for r in result.runs
        ],
        "table": json.loads(table.reset_index().to_json(orient="records")),
        "venue": result.venue.to_dict(),
        "tick": {**(result.tick.to_dict() if result.tick else {}), "note": result.tick_note},
        "config": result.config,
    }
    paths["json"].write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    write_figure(result, paths["png"])
    image = base64.b64encode(paths["png"].read_bytes()).decode("ascii")
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h in TABLE_COLUMNS)
    body = []
    for _, row in table.iterrows():
        colour = {"pass": "#d4edda", "fail": "#f8d7da", "not judged": "#eeeeee"}.get(
            str(row["verdict"]), ""
        )
        style = f' style="background:{colour}"' if colour else ""
        body.append(
            f"<tr{style}>"
            + "".join(f"<td>{html.escape(format_value(row[k]))}</td>" for k, _ in TABLE_COLUMNS)
            + "</tr>"
        )
    note = f"<p>Note: {html.escape(result.tick_note)}.</p>" if result.tick_note else ""
    paths["html"].write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>gramabm validate</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:3px 8px;"
        "border-bottom:1px solid #ddd;text-align:right}td:first-child{text-align:left}</style>"
        f"</head><body><h1>Observed against simulated token</h1>"
        f"<p>{html.escape(result.observed.source)}, {result.start} to {result.end}; "
        f"scenario {html.escape(result.scenario)}; seeds "
        f"{', '.join(str(r.seed) for r in result.runs)}; preset "
        f"{html.escape(str(result.config['primary']['preset']))}, policy "
        f"{html.escape(str(result.config['holders']['policy']))}, "
        f"{result.config['holders']['n']:,} holders; venue scale {result.venue.scale:.3g} "
        f"({html.escape(result.venue.reason)}).</p>"
        f"<p><b>{html.escape(result.status)}</b></p>{note}"
        f"<table><tr>{head}</tr>{''.join(body)}</table>"
        "<p>Verdicts are on the seeds' median. A simulated candle spans its step's trades, but "
        "gold holds one price within a step, so its range and Corwin-Schultz spread miss "
        "gold's own moves inside the hour.</p>"
        f"<img src='data:image/png;base64,{image}' alt='distributions'></body></html>\n",
        encoding="utf-8",
    )
    return paths
