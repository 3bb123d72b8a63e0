"""The live run's charts as :class:`~visualization.svgchart.Chart` descriptions, built from data.

Every series is labelled from the run-column contract (:mod:`gramabm.run_columns`), so a chart
says "Deviation (mid)" in "bp" rather than a column name. Every time chart carries the same
context: the shock and the logged events as vertical lines (market-maker withdrawals, custodian
incidents, oracle outages, governance actions), and shaded stretches where the primary market is
closed (nights, weekends), where a side of the order book is empty, and where trading is halted.
"""

from __future__ import annotations

import dataclasses
import html
import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from gramabm import run_columns
from visualization.svgchart import Chart, HLine, Marker, Series, Span, render, runs

GOLD = "#b8860b"
TOKEN = "#1f4e79"
ACTUAL = "#2e7d32"
REPORTED = "#c62828"
SHOCK = "#6a1b9a"
BANDS_BP = (50.0, 100.0)
"""The deviation bands drawn (bp)."""

CLOSED = "#eceff1"
BID_EMPTY = "#ffcdd2"
ASK_EMPTY = "#bbdefb"
HALTED = "#ffe0b2"
NO_MM = "#f8bbd0"

EVENT_COLOURS = {
    "scenario": "#6a1b9a",
    "governance": "#00695c",
    "market maker": "#ef6c00",
    "custodian": "#5d4037",
}
"""Marker colour per event source (a market maker's or custodian's own name maps to its kind)."""


def _label(name: str) -> str:
    return run_columns.label(name, with_unit=False)


def _unit(name: str) -> str:
    return run_columns.column(name).unit


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def event_source(source: str) -> str:
    """The kind of agent behind an event-log source (``market_maker_3`` -> ``market maker``)."""
    low = source.lower()
    if low.startswith(("market_maker", "mm")):
        return "market maker"
    if low in ("scenario", "governance"):
        return low
    return "custodian"


def context(
    frame: pd.DataFrame,
    events: Sequence[tuple[int, str, str, str]],
    shock_step: int | None,
) -> tuple[list[Span], list[Marker]]:
    """The shaded stretches and vertical lines every time chart of a run carries.

    Args:
        frame: The per-step frame so far.
        events: The event log rows ``(step, source, kind, detail)``.
        shock_step: The shock's step, or None.

    Returns:
        Spans (primary closed, bid or ask side empty, circuit breaker, no market maker quoting)
        and markers (the shock, each logged event).
    """
    spans: list[Span] = []
    if "primary_open" in frame.columns:
        closed = ~frame["primary_open"].astype(bool).to_numpy()
        spans += [Span(a, b, CLOSED, "primary market closed") for a, b in runs(closed)]
    if "mm_active" in frame.columns:
        gone = _col(frame, "mm_active") == 0
        spans += [Span(a, b, NO_MM, "no market maker quoting") for a, b in runs(gone)]
    if "circuit_breaker" in frame.columns:
        halted = frame["circuit_breaker"].astype(bool).to_numpy()
        spans += [Span(a, b, HALTED, "trading halted") for a, b in runs(halted)]
    bid_empty = ~np.isfinite(_col(frame, "token_bid"))
    ask_empty = ~np.isfinite(_col(frame, "token_ask"))
    spans += [Span(a, b, BID_EMPTY, "bid side empty") for a, b in runs(bid_empty)]
    spans += [Span(a, b, ASK_EMPTY, "ask side empty") for a, b in runs(ask_empty)]
    markers: list[Marker] = []
    if shock_step is not None and shock_step < len(frame):
        markers.append(Marker(shock_step, "shock starts", SHOCK, "shock"))
    for step, source, kind, detail in events:
        who = event_source(source)
        colour = EVENT_COLOURS[who]
        markers.append(Marker(int(step), f"{source} {kind}: {detail}", colour, f"{who} event"))
    return spans, markers


def price_chart(frame, times, spans, markers, band_bp: float = BANDS_BP[0]) -> Chart:
    """Gold value (with a ±band) against the token's mid, best bid and ask, and trades."""
    gold = _col(frame, "gold_value_usd")
    mid = _col(frame, "token_mid")
    last = _col(frame, "token_last")
    one_sided = ~np.isfinite(mid) & np.isfinite(last)
    return Chart(
        "price",
        "Token price against gold value",
        f"{_unit('token_mid')} per token",
        times,
        [
            Series(
                f"gold value ±{band_bp:g} bp",
                gold * (1 + band_bp / 1e4),
                "#f3e5ab",
                "area",
                base=gold * (1 - band_bp / 1e4),
            ),
            Series(_label("gold_value_usd"), gold, GOLD, width=1.8),
            Series(_label("token_bid"), _col(frame, "token_bid"), ACTUAL, "step", 0.8, "2 2"),
            Series(_label("token_ask"), _col(frame, "token_ask"), REPORTED, "step", 0.8, "2 2"),
            Series(_label("token_mid"), mid, TOKEN, width=1.6),
            Series("trades, one-sided book", np.where(one_sided, last, np.nan), TOKEN, "points"),
        ],
        spans,
        markers,
    )


def deviation_chart(frame, times, spans, markers) -> Chart:
    """Deviation of the mid from the gold value, with the prices paid when there is no mid."""
    dev = _col(frame, "deviation_bp")
    traded = _col(frame, "last_deviation_bp")
    gap = ~np.isfinite(dev) & np.isfinite(traded)
    hlines = [
        HLine(s * b, f"±{b:g} bp", "#9e9e9e", d)
        for b, d in zip(BANDS_BP, ("4 3", "1 3"), strict=True)
        for s in (1, -1)
    ]
    # A two-tier run (preset gram) adds GRAM and XAUT's on-chain price against gold.
    tiers = [
        Series(_label(name), _col(frame, name), colour, width=1.2)
        for name, colour in (("gram_dev_bp", GOLD), ("xaut_pool_dev_bp", ACTUAL))
        if name in frame.columns
    ]
    return Chart(
        "deviation",
        "Peg deviation",
        f"deviation ({_unit('deviation_bp')})",
        times,
        [
            Series(_label("deviation_bp"), dev, TOKEN, width=1.6),
            Series(
                _label("last_deviation_bp") + ", one-sided book",
                np.where(gap, traded, np.nan),
                REPORTED,
                "points",
            ),
            *tiers,
        ],
        spans,
        markers,
        [HLine(0.0, "peg", "#424242", ""), *hlines],
        y_symmetric=True,
    )


def reserve_ratio_chart(frame, times, spans, markers) -> Chart:
    """Reported against actual reserve ratio, with full reserve marked."""
    return Chart(
        "reserves",
        "Reserve ratio: reported against actual",
        "reserves per token",
        times,
        [
            Series(
                _label("reserve_ratio_actual"),
                _col(frame, "reserve_ratio_actual"),
                ACTUAL,
                width=1.8,
            ),
            Series(
                _label("reserve_ratio_reported"),
                _col(frame, "reserve_ratio_reported"),
                REPORTED,
                "step",
                1.5,
                "5 3",
            ),
        ],
        spans,
        markers,
        [HLine(1.0, "full reserve", "#424242")],
    )


CUSTODIAN_COLOURS = ("#8d6e63", "#a1887f", "#bcaaa4", "#6d4c41", "#d7ccc8", "#4e342e")


def custody_chart(frame, times, spans, markers) -> Chart:
    """Gold held per custodian (stacked) against tokens outstanding (one token is one gram)."""
    custodians = [c for c in frame.columns if str(c).startswith("reserves_g_")]
    series: list[Series] = []
    base = np.zeros(len(frame))
    for i, name in enumerate(custodians):
        top = base + np.nan_to_num(_col(frame, name))
        series.append(
            Series(
                run_columns.label(name, with_unit=False).replace("Reserves at ", ""),
                top,
                CUSTODIAN_COLOURS[i % len(CUSTODIAN_COLOURS)],
                "area",
                base=base,
            )
        )
        base = top
    if not custodians:
        series.append(
            Series(_label("reserves_actual_g"), _col(frame, "reserves_actual_g"), ACTUAL, "area")
        )
    series.append(
        Series(_label("supply_tokens"), _col(frame, "supply_tokens"), "#212121", width=1.8)
    )
    return Chart(
        "custody",
        "Gold by custodian against supply",
        "grams (tokens)",
        times,
        series,
        spans,
        markers,
        y_min=0.0,
    )


def flows_chart(frame, times, spans, markers) -> Chart:
    """Mints (up) and redemptions (down) settled per step."""
    return Chart(
        "flows",
        "Primary market: settled per step",
        "grams",
        times,
        [
            Series(_label("mints_g"), _col(frame, "mints_g"), ACTUAL, "bars"),
            Series(
                _label("redemptions_g") + " (−)", -_col(frame, "redemptions_g"), REPORTED, "bars"
            ),
        ],
        spans,
        markers,
        [HLine(0.0, "zero", "#424242", "")],
    )


def queues_chart(frame, times, spans, markers) -> Chart:
    """Accepted mints and redemptions waiting to settle."""
    return Chart(
        "queues",
        "Pending queues",
        "grams",
        times,
        [
            Series(_label("mint_queue_g"), _col(frame, "mint_queue_g"), ACTUAL),
            Series(_label("redemption_queue_g"), _col(frame, "redemption_queue_g"), REPORTED),
        ],
        spans,
        markers,
        y_min=0.0,
    )


def depth_chart(frame, times, spans, markers) -> Chart:
    """Resting value near the mid."""
    return Chart(
        "liquidity",
        "Order-book depth (both sides)",
        _unit("depth_1pct_usd"),
        times,
        [
            Series(_label("depth_2pct_usd"), _col(frame, "depth_2pct_usd"), ACTUAL),
            Series(_label("depth_1pct_usd"), _col(frame, "depth_1pct_usd"), TOKEN),
        ],
        spans,
        markers,
        y_min=0.0,
    )


def spread_chart(frame, times, spans, markers) -> Chart:
    """The quoted spread."""
    return Chart(
        "spread",
        "Bid-ask spread",
        _unit("spread_bp"),
        times,
        [Series(_label("spread_bp"), _col(frame, "spread_bp"), REPORTED)],
        spans,
        markers,
        y_min=0.0,
    )


HOLDER_STATES = (
    ("holders_hold", "#90a4ae"),
    ("holders_buy", ACTUAL),
    ("holders_sell", REPORTED),
    ("holders_redeem", SHOCK),
)


def holders_chart(frame, times, spans, markers) -> Chart:
    """Holders by their last decision (stacked), with the number panicked."""
    series = []
    base = np.zeros(len(frame))
    for name, colour in HOLDER_STATES:
        top = base + np.nan_to_num(_col(frame, name))
        series.append(Series(_label(name), top, colour, "area", base=base))
        base = top
    series.append(
        Series(_label("holders_panicked"), _col(frame, "holders_panicked"), "#000000", width=1.6)
    )
    return Chart(
        "holders", "Holders by last decision", "holders", times, series, spans, markers, y_min=0.0
    )


TIME_CHARTS = {
    "price": price_chart,
    "deviation": deviation_chart,
    "reserves": reserve_ratio_chart,
    "custody": custody_chart,
    "flows": flows_chart,
    "queues": queues_chart,
    "liquidity": depth_chart,
    "spread": spread_chart,
    "holders": holders_chart,
}
"""Every time chart of the live view, by name (the name is also its CSS suffix)."""


def time_chart_svg(
    name: str,
    frame: pd.DataFrame,
    times: pd.DatetimeIndex,
    events: Sequence[tuple[int, str, str, str]],
    shock_step: int | None,
    *,
    note: str = "",
) -> str:
    """One time chart as SVG text, over the steps recorded so far.

    Args:
        name: A key of :data:`TIME_CHARTS`.
        frame: The per-step frame so far.
        times: Timestamp of every step of the run (the recorded ones are shown).
        events: The event log.
        shock_step: The shock's step, or None.
        note: A sentence shown in red under the title (e.g. an empty book side).
    """
    shown = times[: len(frame)]
    spans, markers = context(frame, events, shock_step)
    chart = TIME_CHARTS[name](frame, shown, spans, markers)
    if note:
        chart = dataclasses.replace(chart, note=note)
    return render(chart)


# --- the order-book ladder ---------------------------------------------------------------------


def ladder_svg(
    bids: Sequence[tuple[float, float]],
    asks: Sequence[tuple[float, float]],
    gold_value: float = math.nan,
    *,
    note: str = "",
    width: int = 560,
) -> str:
    """The order-book ladder as SVG: asks above bids, one row per level, quantities written.

    The bar scale stops at three times the median level, so one very large resting order does
    not squash the others: its bar runs to the edge with a break mark and its quantity in full.

    Args:
        bids: ``(USD per token, tokens)`` levels, best first.
        asks: ``(USD per token, tokens)`` levels, best first.
        gold_value: Gold value of one token (USD); NaN for unknown.
        note: A sentence in red under the title (an empty side).
        width: Width in CSS pixels.
    """
    rows = [*((p, q, "ask") for p, q in reversed(asks)), *((p, q, "bid") for p, q in bids)]
    row_h = 18
    # The note wraps to the chart's width (about 6.5 CSS pixels a character at 12 px).
    note_lines = textwrap.wrap(note, max(int((width - 16) / 6.5), 20)) if note else []
    top = 36 + 18 * len(note_lines)
    height = top + max(len(rows), 1) * row_h + 30
    left, right = 90, width - 110
    if bids and asks:
        spread = 1e4 * (asks[0][0] - bids[0][0]) / ((asks[0][0] + bids[0][0]) / 2)
        title = f"Order book: spread {spread:,.1f} bp"
    elif rows:
        title = "Order book: one side empty"
    else:
        title = "Order book: empty"
    if math.isfinite(gold_value):
        title += f"; gold value {gold_value:,.3f} USD"
    quantities = np.array([q for _, q, _ in rows], dtype=float)
    cap = float(3 * np.median(quantities)) if rows else 1.0
    cap = max(min(cap, float(quantities.max())) if rows else 1.0, 1e-9)
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" style="max-width:100%;height:auto;font-family:system-ui,sans-serif" '
            'class="gram-svg" role="img" aria-label="order book">'
        ),
        f'<text x="8" y="14" font-size="13" font-weight="600">{title}</text>',
    ]
    if note_lines:
        lines = "".join(
            f'<tspan x="8" dy="{0 if i == 0 else 16}">{html.escape(line)}</tspan>'
            for i, line in enumerate(note_lines)
        )
        out.append(
            f'<text x="8" y="32" font-size="12" fill="#b71c1c" class="gram-chart-note">{lines}</text>'
        )
    legend_y = top - 10
    legend = [("asks", REPORTED)] if asks else []
    legend += [("bids", ACTUAL)] if bids else []
    x = left
    for text, colour in legend:
        out.append(f'<rect x="{x}" y="{legend_y - 9}" width="14" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 18}" y="{legend_y}" font-size="11">{text}</text>')
        x += 70
    for i, (price, qty, side) in enumerate(rows):
        y = top + i * row_h
        w = (right - left) * min(qty / cap, 1.0)
        colour = REPORTED if side == "ask" else ACTUAL
        out.append(
            f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end">{price:,.3f}</text>'
        )
        out.append(
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row_h - 4}" fill="{colour}"/>'
        )
        if qty > cap:
            out.append(
                f'<path d="M{right - 10},{y + 2} l6,{row_h - 4}" stroke="white" stroke-width="2"/>'
            )
        out.append(
            f'<text x="{left + w + 5:.1f}" y="{y + 13}" font-size="11" class="gram-ladder-qty">{qty:,.0f}</text>'
        )
    if bids and asks:
        y = top + len(asks) * row_h
        out.append(
            f'<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="#424242" stroke-dasharray="4 3"/>'
        )
    if not rows:
        out.append(
            f'<text x="{width / 2}" y="{top + 12}" text-anchor="middle" font-size="12">no resting orders</text>'
        )
    base_y = top + max(len(rows), 1) * row_h + 18
    out.append(
        f'<text x="{left}" y="{base_y}" font-size="11">tokens resting per price level (USD per token, left)</text>'
    )
    out.append("</svg>")
    return "".join(out)


# --- the holder network --------------------------------------------------------------------------


def network_svg(
    xy: np.ndarray,
    edges: np.ndarray,
    states: np.ndarray,
    labels: Sequence[str],
    colours: Sequence[str],
    *,
    title: str,
    width: int = 560,
    height: int = 400,
) -> str:
    """Sampled holders on their social graph, coloured by state, as SVG.

    Args:
        xy: Layout position of each holder (any scale), shape ``(n, 2)``.
        edges: Pairs of positions in ``xy``, shape ``(m, 2)``.
        states: State code of each holder (index into ``labels`` and ``colours``).
        labels: State names.
        colours: One CSS colour per state.
        title: Title text.
        width: Width in CSS pixels (the legend takes the right 140).
        height: Height in CSS pixels.
    """
    plot_w, top = width - 150, 24
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(pts):
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        scaled = (pts - lo) / span
        px = 10 + scaled[:, 0] * (plot_w - 20)
        py = top + 8 + scaled[:, 1] * (height - top - 20)
    else:
        px = py = np.array([])
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" style="max-width:100%;height:auto;font-family:system-ui,sans-serif" '
            'class="gram-svg" role="img" aria-label="holder network">'
        ),
        f'<text x="8" y="14" font-size="13" font-weight="600">{title}</text>',
        '<g stroke="#cfd8dc" stroke-width="0.6">',
    ]
    out += [
        f'<line x1="{px[a]:.1f}" y1="{py[a]:.1f}" x2="{px[b]:.1f}" y2="{py[b]:.1f}"/>'
        for a, b in np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    ]
    out.append("</g>")
    codes = np.asarray(states, dtype=np.int64)
    for code, colour in enumerate(colours):
        idx = np.flatnonzero(codes == code)
        dots = "".join(f'<circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="3.2"/>' for i in idx)
        out.append(f'<g fill="{colour}">{dots}</g>')
    counts = np.bincount(codes, minlength=len(labels)) if codes.size else np.zeros(len(labels), int)
    for i, (label, colour) in enumerate(zip(labels, colours, strict=True)):
        y = top + 20 + 18 * i
        out.append(f'<circle cx="{plot_w + 14}" cy="{y - 4}" r="5" fill="{colour}"/>')
        out.append(f'<text x="{plot_w + 24}" y="{y}" font-size="12">{label} ({counts[i]:,})</text>')
    out.append("</svg>")
    return "".join(out)
