"""The HTML stress report: a summary in words, scenarios side by side, then each one's figures.

:func:`write_stress_report` writes one self-contained HTML file. It opens with a summary that ranks
the scenarios on what actually traded (the worst traded discount or premium) and on the hours the
book was one-sided, in plain words: a mid-based deviation says nothing while one side of the book
is empty, so a scenario whose bids vanished can look milder on it than it was. Then a comparison
table with one row per scenario (the headline metrics of docs/model.md D7), then for each scenario its definition, its
results, notes on reading them and the six run figures. Figures are embedded as base64 PNG data URIs and the styles
are inline, so the file opens offline and can be mailed as it is: no CDN, no script, no link out.
The full comparison table (every metric, one row per scenario) is written beside it as CSV.

The report holds no timestamp, so identical results give an identical file.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gramabm.analysis.render.plots import RUN_PLOTS, figure_png
from gramabm.analysis.runs.metrics import RunMetrics
from gramabm.analysis.runs.tiers import RECOVERY_BAND_BP
from gramabm.errors import ConfigError

RunResultTuple = tuple[pd.DataFrame, RunMetrics, Mapping[str, Any]]
"""One scenario's entry: per-step timeseries, its metrics, and the run's meta dict."""

FIGURE_CAPTIONS: dict[str, str] = {
    "price": "Gold value of one token and the token's price, with the ±50 bp band.",
    "deviation": "Peg deviation with the ±50 and ±100 bp bands; the dashed line marks the shock.",
    "reserves": "Reserve ratio, reported and actual; reserves by custodian against supply.",
    "liquidity": "Order-book depth within 1% and 2% of mid, and the bid-ask spread.",
    "flows": "Mints and redemptions settled each step, and the pending queues.",
    "holders": "Holders by last action, and the number panicked.",
}


@dataclass(frozen=True)
class Column:
    """One column of the comparison table.

    Attributes:
        key: Key in :meth:`RunMetrics.to_dict`.
        header: Column header, with its unit.
        fmt: Formatter of a present value.
        missing: Text for a None value from the scenario's whole metrics dict (why it is
            missing); None shows an em dash.
    """

    key: str
    header: str
    fmt: Callable[[Any], str]
    missing: Callable[[Mapping[str, Any]], str] | None = None


def _num(digits: int) -> Callable[[Any], str]:
    return lambda v: f"{v:,.{digits}f}"


def _pct(digits: int) -> Callable[[Any], str]:
    return lambda v: f"{100 * v:,.{digits}f}%"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # Readable without hiding small numbers: 2 decimals from 1 up, 4 significant digits below.
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4g}"
    return str(value)


def _half_life_missing(metrics: Mapping[str, Any]) -> str:
    return str(metrics["half_life_flag"]).replace("_", " ")


def _recovery_missing(metrics: Mapping[str, Any]) -> str:
    # With a quoted shock the run simply never recovered; otherwise it was not measured.
    return "never" if metrics["shock_peak_step"] is not None else "—"


def headline_columns(band_labels: list[str]) -> list[Column]:
    """Columns of the HTML comparison table.

    Args:
        band_labels: Band half-widths as in the metric keys (e.g. ``["50", "100"]``).

    Returns:
        The columns, in display order.
    """
    bands = [Column(f"hours_outside_{b}bp", f"hours outside ±{b} bp", _num(1)) for b in band_labels]
    return [
        Column("worst_premium_bp", "worst premium (bp)", _num(1)),
        Column("worst_discount_bp", "worst discount (bp)", _num(1)),
        Column("mean_abs_deviation_bp", "mean |deviation| (bp)", _num(1)),
        *bands,
        Column("half_life_hours", "half-life (h)", _num(1), _half_life_missing),
        Column("time_to_recover_hours", "time to recover (h)", _num(1), _recovery_missing),
        Column("min_reserve_ratio_actual", "lowest reserve ratio, actual", _num(4)),
        Column("min_reserve_ratio_reported", "lowest reserve ratio, reported", _num(4)),
        Column("share_initial_supply_redeemed", "supply redeemed", _pct(2)),
        Column("token_hold_excess_return_end", "token vs gold, end", _pct(2)),
        Column("holders_median_excess_return", "holders vs gold, median", _pct(2)),
        Column("holders_share_worse_than_gold", "holders worse than gold", _pct(1)),
        Column("mm_first_withdrawal_step", "market makers withdrew (step)", _plain, lambda _: "no"),
        Column("min_depth_1pct_ratio", "min depth 1% / pre-shock median", _num(2)),
        Column("max_spread_bp", "max spread (bp)", _num(1)),
        Column("governance_actions_count", "governance actions", _plain),
        Column("volume_usd_total", "volume (USD)", _num(0)),
    ]


def comparison_table(results: Mapping[str, RunResultTuple]) -> pd.DataFrame:
    """Every metric of every scenario: one row per scenario (index ``scenario``).

    Lists are flattened to text (governance actions as ``step N kind detail`` joined by ``; ``,
    notes joined by `` | ``) so the table is flat and CSV-ready.

    Args:
        results: Scenario name to ``(timeseries, metrics, meta)``.

    Returns:
        The table, rows in the order of ``results``.
    """
    rows = []
    for metrics in (entry[1] for entry in results.values()):
        row = metrics.to_dict()
        row["governance_actions"] = "; ".join(
            f"step {a['step']} {a['kind']} {a['detail']}".rstrip()
            for a in row["governance_actions"]
        )
        row["notes"] = " | ".join(row["notes"])
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(list(results), name="scenario"))


def comparison_csv_path(out_path: str | Path) -> Path:
    """Where :func:`write_stress_report` writes the CSV beside the HTML: same stem, ``.csv``."""
    return Path(out_path).with_suffix(".csv")


def write_stress_report(
    results: Mapping[str, RunResultTuple],
    out_path: str | Path,
    *,
    title: str = "Gram stress report",
) -> Path:
    """Write the self-contained HTML stress report and its comparison CSV.

    Args:
        results: Scenario name to ``(timeseries, metrics, meta)``, in display order. Figures are
            drawn from the timeseries with the shock at ``metrics.shock_step``.
        out_path: The HTML file to write (parent directories are created). The comparison table
            goes to :func:`comparison_csv_path` of it.
        title: Heading and page title.

    Returns:
        The path of the HTML file.

    Raises:
        ConfigError: If ``results`` is empty or an entry is not a
            ``(DataFrame, RunMetrics, Mapping)`` triple.
        DataValidationError: If a timeseries lacks a column a figure needs.
    """
    if not results:
        raise ConfigError("the stress report needs at least one scenario result")
    for name, entry in results.items():
        _check_entry(name, entry)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)

    table = comparison_table(results)
    table.to_csv(comparison_csv_path(out), lineterminator="\n")
    labels = sorted(
        {b.band_bp for _, m, _ in results.values() for b in m.bands},
    )
    columns = headline_columns([f"{b:g}" for b in labels])

    parts = [
        PAGE_HEAD.format(title=html.escape(title)),
        f"<h1>{html.escape(title)}</h1>",
        (
            f"<p>{len(results)} scenario(s). Deviation is the token's mid price against the "
            "gold value of one gram, in basis points; hours are model hours. Full metrics: "
            f"<code>{html.escape(comparison_csv_path(out).name)}</code>.</p>"
        ),
        summary_html(results),
        "<h2>Comparison</h2>",
        _comparison_html(results, columns),
    ]
    for i, (name, (timeseries, metrics, meta)) in enumerate(results.items()):
        parts.append(_scenario_html(i, name, timeseries, metrics, meta))
    parts.append("</body>\n</html>\n")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


# --- pieces of the page ------------------------------------------------------------------------

PAGE_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.5em; }}
th {{ background: #f3f3f3; text-align: left; vertical-align: bottom; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
figure {{ margin: 1em 0; }}
figcaption {{ font-size: 0.85em; color: #555; }}
img {{ max-width: 100%; height: auto; }}
pre {{ background: #f7f7f7; padding: 0.5em; overflow-x: auto; font-size: 0.8em; }}
.summary li {{ margin: 0.3em 0; }}
.definition {{ background: #f3f6fa; padding: 0.4em 0.6em; }}
</style>
</head>
<body>"""


def _comparison_html(results: Mapping[str, RunResultTuple], columns: list[Column]) -> str:
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in columns)
    rows = []
    for i, (name, (_, metrics, _)) in enumerate(results.items()):
        values = metrics.to_dict()
        cells = "".join(f'<td class="num">{html.escape(_cell(values, c))}</td>' for c in columns)
        rows.append(
            f'<tr><th><a href="#scenario-{i}">{html.escape(str(name))}</a></th>{cells}</tr>'
        )
    return (
        '<table class="comparison">\n'
        f"<thead><tr><th>scenario</th>{head}</tr></thead>\n"
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>"
    )


def _one_sided_hours(values: Mapping[str, Any]) -> float:
    return float(values.get("hours_bid_side_empty") or 0.0) + float(
        values.get("hours_ask_side_empty") or 0.0
    )


def _traded_severity(values: Mapping[str, Any]) -> float:
    """How far trades went from the gold value, either way (bp); NaN when nothing traded."""
    low, high = values.get("worst_traded_discount_bp"), values.get("worst_traded_premium_bp")
    if low is None and high is None:
        return math.nan
    return max(-float(low or 0.0), float(high or 0.0))


def summary_sentences(results: Mapping[str, RunResultTuple]) -> list[str]:
    """The report's opening in plain words: which scenario is worst, by which measure.

    Scenarios are ranked on what traded (the worst traded discount or premium), then on the hours
    the book was one-sided; a scenario that looks milder on the mid-based deviation only because
    its book was one-sided is said so.
    """
    values = {name: entry[1].to_dict() for name, entry in results.items()}
    ranked = ranked_scenarios(results)
    lines: list[str] = []
    traded = [n for n in ranked if not math.isnan(_traded_severity(values[n]))]
    if traded:
        worst = traded[0]
        v = values[worst]
        low, high = v.get("worst_traded_discount_bp"), v.get("worst_traded_premium_bp")
        side = (
            f"traded {-float(low or 0):,.0f} bp below the gold value"
            if -(low or 0) >= (high or 0)
            else f"traded {float(high or 0):,.0f} bp above the gold value"
        )
        lines.append(
            f"Worst on what traded: {worst}, whose token {side} at its worst."
            + (
                " Then "
                + ", ".join(f"{n} ({_traded_severity(values[n]):,.0f} bp)" for n in traded[1:4])
                + "."
                if len(traded) > 1
                else ""
            )
        )
    sided = sorted(
        (n for n in values if _one_sided_hours(values[n]) > 0),
        key=lambda n: -_one_sided_hours(values[n]),
    )
    if sided:
        n = sided[0]
        bid, ask = (
            float(values[n].get("hours_bid_side_empty") or 0),
            float(values[n].get("hours_ask_side_empty") or 0),
        )
        which = "no one bid for the token" if bid >= ask else "no one offered the token"
        lines.append(
            f"Longest one-sided market: {n}, {_one_sided_hours(values[n]):,.0f} h in which "
            f"{which} (bids empty {bid:,.0f} h, offers empty {ask:,.0f} h). While one side is "
            "empty there is no mid price, so the mid-based deviation leaves those hours out."
        )
    else:
        lines.append("The book kept both sides in every scenario.")
    for a in ranked:
        for b in ranked[ranked.index(a) + 1 :]:
            mid_a, mid_b = values[a].get("worst_discount_bp"), values[b].get("worst_discount_bp")
            if (
                mid_a is not None
                and mid_b is not None
                and mid_a > mid_b
                and _one_sided_hours(values[a]) > _one_sided_hours(values[b])
            ):
                lines.append(
                    f"{a} looks milder than {b} on the mid-based worst discount ({mid_a:,.0f} vs "
                    f"{mid_b:,.0f} bp) only because its book was one-sided for "
                    f"{_one_sided_hours(values[a]):,.0f} h; on what traded it is worse."
                )
    if not lines:
        lines.append("No trade printed in any scenario.")
    return lines


def ranked_scenarios(results: Mapping[str, RunResultTuple]) -> list[str]:
    """Scenarios from worst to mildest: by the worst traded deviation, then one-sided hours."""
    values = {name: entry[1].to_dict() for name, entry in results.items()}

    def key(name: str) -> tuple[float, float]:
        severity = _traded_severity(values[name])
        return (-(severity if not math.isnan(severity) else -1.0), -_one_sided_hours(values[name]))

    return sorted(values, key=key)


def summary_html(results: Mapping[str, RunResultTuple]) -> str:
    """The summary section: sentences, then the scenarios ranked with the measures behind it."""
    sentences = "".join(f"<li>{html.escape(s)}</li>" for s in summary_sentences(results))
    index = {name: i for i, name in enumerate(results)}
    rows = []
    for rank, name in enumerate(ranked_scenarios(results), start=1):
        v = results[name][1].to_dict()
        cells = [
            _format(v.get("worst_traded_discount_bp"), _num(1)),
            _format(v.get("worst_traded_premium_bp"), _num(1)),
            _format(v.get("hours_bid_side_empty"), _num(0)),
            _format(v.get("hours_ask_side_empty"), _num(0)),
            _format(v.get("worst_discount_bp"), _num(1)),
        ]
        tds = "".join(f'<td class="num">{html.escape(c)}</td>' for c in cells)
        rows.append(
            f'<tr><td class="num">{rank}</td><th><a href="#scenario-{index[name]}">'
            f"{html.escape(str(name))}</a></th>{tds}</tr>"
        )
    head = (
        "<tr><th>rank</th><th>scenario</th><th>worst traded discount (bp)</th>"
        "<th>worst traded premium (bp)</th><th>hours with no bid</th>"
        "<th>hours with no offer</th><th>worst mid discount (bp)</th></tr>"
    )
    return "\n".join(
        [
            '<h2 id="summary">Summary</h2>',
            f'<ul class="summary">{sentences}</ul>',
            (
                "<p>Ranked from worst to mildest on what traded, then on the hours the book was "
                "one-sided.</p>"
            ),
            f'<table class="ranking"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>',
        ]
    )


def _scenario_html(
    index: int,
    name: str,
    timeseries: pd.DataFrame,
    metrics: RunMetrics,
    meta: Mapping[str, Any],
) -> str:
    parts = [f'<section id="scenario-{index}">', f"<h2>{html.escape(str(name))}</h2>"]
    if meta.get("definition"):
        parts.append(
            f'<p class="definition"><b>Definition:</b> {html.escape(str(meta["definition"]))}</p>'
        )
    values = metrics.to_dict()
    results_line = (
        f"worst traded discount {_format(values.get('worst_traded_discount_bp'), _num(1))} bp, "
        f"worst traded premium {_format(values.get('worst_traded_premium_bp'), _num(1))} bp, "
        f"no bid for {_format(values.get('hours_bid_side_empty'), _num(0))} h, "
        f"no offer for {_format(values.get('hours_ask_side_empty'), _num(0))} h"
    )
    parts.append(f"<p><b>Results:</b> {html.escape(results_line)}.</p>")
    if metrics.tiers:
        parts.append(f"<p><b>Per tier:</b> {html.escape(_tier_line(metrics.tiers))}.</p>")
    meta = {k: v for k, v in meta.items() if k != "definition"}
    scalars = {k: v for k, v in meta.items() if _is_scalar(v)}
    nested = {k: v for k, v in meta.items() if not _is_scalar(v)}
    if scalars:
        parts.append(_key_value_table(sorted(scalars.items(), key=lambda kv: str(kv[0]))))
    if nested:
        text = json.dumps(nested, sort_keys=True, indent=2, default=str)
        parts.append(
            f"<details><summary>configuration</summary><pre>{html.escape(text)}</pre></details>"
        )
    if metrics.notes:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in metrics.notes)
        parts.append(f'<p><b>Reading these numbers:</b></p><ul class="reading">{notes}</ul>')
    flat = metrics.to_dict()
    flat["governance_actions"] = (
        "; ".join(f"step {a['step']} {a['kind']} {a['detail']}" for a in flat["governance_actions"])
        or None
    )
    flat.pop("notes")
    parts.append(
        f"<details><summary>all metrics</summary>{_key_value_table(list(flat.items()))}</details>"
    )
    for fig_name, plot in RUN_PLOTS.items():
        png = figure_png(plot(timeseries, shock_step=metrics.shock_step))
        data = base64.b64encode(png).decode("ascii")
        caption = html.escape(FIGURE_CAPTIONS.get(fig_name, fig_name))
        parts.append(
            f'<figure><img alt="{html.escape(str(name))}: {fig_name}" '
            f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
        )
    parts.append("</section>")
    return "\n".join(parts)


def _tier_line(t: Mapping[str, Any]) -> str:
    """One line of a two-tier run's per-tier results (GRAM <- XAUT <- gold)."""
    recovery = t.get("gram_recovery_hours")
    return (
        f"GRAM worst {_format(t.get('gram_worst_dev_bp'), _num(1))} bp against gold, "
        f"XAUT worst {_format(t.get('xaut_worst_dev_bp'), _num(1))} bp, "
        f"GRAM against XAUT x rate worst {_format(t.get('gram_worst_gap_bp'), _num(1))} bp; "
        f"pass-through {_format(t.get('pass_through_share'), _num(2))} of XAUT's deviation, "
        f"half of it within {_format(t.get('pass_through_half_hours'), _num(0))} h; "
        f"GRAM back within {RECOVERY_BAND_BP:g} bp "
        + (f"after {_format(recovery, _num(0))} h" if recovery is not None else "never")
        + f"; lowest redeemable backing {_format(t.get('min_backing_redeemable'), _num(2))}, "
        f"gold backing {_format(t.get('min_backing_gold'), _num(2))}; "
        f"LP loss at most {_format(t.get('max_lp_loss'), _num(4))}; "
        f"$1M GRAM sale impact at most {_format(t.get('worst_gram_impact_1m'), _num(3))}"
    )


def _key_value_table(items: list[tuple[Any, Any]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_format(v, _plain))}</td></tr>"
        for k, v in items
    )
    return f"<table>{rows}</table>"


def _cell(values: Mapping[str, Any], column: Column) -> str:
    value = values.get(column.key)
    if value is None and column.missing is not None and column.key in values:
        return column.missing(values)
    return _format(value, column.fmt)


def _format(value: Any, fmt: Callable[[Any], str]) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return fmt(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _check_entry(name: str, entry: Any) -> None:
    ok = (
        isinstance(entry, tuple)
        and len(entry) == 3
        and isinstance(entry[0], pd.DataFrame)
        and isinstance(entry[1], RunMetrics)
        and isinstance(entry[2], Mapping)
    )
    if not ok:
        raise ConfigError(
            f"scenario {name!r}: expected a (timeseries DataFrame, RunMetrics, meta dict) "
            f"triple, got {type(entry).__name__}"
        )
