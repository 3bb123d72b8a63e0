"""A small chart drawn as inline SVG from data: the live view's charts, sharp on any screen.

Why not matplotlib: rasterising a figure costs 0.15-0.45 s, which held the live page near one
update per second. An SVG string for a few thousand points takes a few milliseconds to build, is
drawn by the browser at the screen's own resolution (sharp on a 2x screen, never stretched), and
needs nothing from the internet.

A :class:`Chart` has a time axis (the run's timestamps), line, step, point and bar
:class:`Series`, shaded :class:`Span` stretches (closed markets, empty book sides, weekends),
vertical :class:`Marker` lines (the shock, events) and horizontal reference lines. The legend is a
row above the plot, so it never covers data. :func:`render` turns it into SVG text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

WIDTH = 1000
"""Width of a chart in CSS pixels (the SVG's own units: one unit is one CSS pixel)."""

HEIGHT = 210
"""Default height of a chart in CSS pixels."""

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 62, 14, 40, 26
FONT = "font-family:system-ui,sans-serif"

Kind = Literal["line", "step", "points", "bars", "area"]


@dataclass(frozen=True)
class Series:
    """One data series over the chart's time axis.

    Attributes:
        label: Legend text.
        values: One value per step (NaN: no value, a gap in a line).
        colour: CSS colour.
        kind: ``line``, ``step`` (held until the next value), ``points``, ``bars`` (from zero)
            or ``area`` (filled down to zero; areas given in order are stacked by the caller).
        width: Line width in pixels.
        dash: SVG dash pattern, empty for solid.
        base: For ``area``: the lower edge (default zero).
    """

    label: str
    values: np.ndarray
    colour: str
    kind: Kind = "line"
    width: float = 1.5
    dash: str = ""
    base: np.ndarray | None = None


@dataclass(frozen=True)
class Span:
    """A shaded stretch of time: steps ``start`` to ``stop`` (exclusive)."""

    start: int
    stop: int
    colour: str
    label: str


@dataclass(frozen=True)
class Marker:
    """A vertical line at a step: ``label`` is its tooltip, ``legend`` its legend entry."""

    step: int
    label: str
    colour: str = "#6a1b9a"
    legend: str = ""


@dataclass(frozen=True)
class HLine:
    """A horizontal reference line (e.g. full reserve, a ±band)."""

    value: float
    label: str
    colour: str = "#757575"
    dash: str = "4 3"


@dataclass(frozen=True)
class Chart:
    """What one chart shows.

    Attributes:
        name: CSS suffix: the chart's element gets class ``gram-chart-<name>``.
        title: Title, top left.
        y_title: The y axis's label with its unit.
        times: Timestamp of each step shown (the x axis).
        series: The data.
        spans: Shaded stretches (each colour once in the legend).
        markers: Vertical lines.
        hlines: Horizontal reference lines.
        y_min: A value the y axis always includes, drawn at its foot (e.g. 0 for counts).
        y_symmetric: Centre the y axis on zero (deviations).
        height: Height in pixels.
        note: A sentence under the title (e.g. a side of the book is empty).
    """

    name: str
    title: str
    y_title: str
    times: pd.DatetimeIndex
    series: Sequence[Series]
    spans: Sequence[Span] = ()
    markers: Sequence[Marker] = ()
    hlines: Sequence[HLine] = ()
    y_min: float | None = None
    y_symmetric: bool = False
    height: int = HEIGHT
    note: str = ""


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """Round tick values covering ``[low, high]`` (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return np.array([0.0])
    if high <= low:
        high = low + (abs(low) * 0.1 or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return np.arange(first, high + step * 1e-9, step)


def short_number(value: float) -> str:
    """A tick label: thousands as k, millions as M, billions as G; no offset notation."""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    if size == 0:
        return "0"
    return f"{value:.4g}"


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The ``(start, stop)`` stretches where a boolean array is true."""
    flags = np.asarray(mask, dtype=bool)
    if not flags.any():
        return []
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _time_ticks(times: pd.DatetimeIndex, n: int) -> list[tuple[int, str]]:
    """Step positions and labels of the time axis: midnights, thinned to about eight."""
    if n == 0:
        return []
    shown = times[:n]
    days = np.flatnonzero((shown.hour == 0) & (shown.minute == 0))
    if len(days) == 0:
        return [(0, shown[0].strftime("%d %b %H:%M"))]
    every = max(1, math.ceil(len(days) / 8))
    picks = days[::every]
    return [(int(i), shown[i].strftime("%d %b")) for i in picks]


def _y_range(chart: Chart, n: int) -> tuple[float, float]:
    values = [np.asarray(s.values[:n], dtype=float) for s in chart.series]
    values += [np.asarray(s.base[:n], dtype=float) for s in chart.series if s.base is not None]
    finite = np.concatenate([v[np.isfinite(v)] for v in values] or [np.array([])])
    refs = [h.value for h in chart.hlines]
    if finite.size == 0 and not refs:
        return (0.0, 1.0)
    pool = np.concatenate([finite, np.asarray(refs, dtype=float)])
    low, high = float(pool.min()), float(pool.max())
    if any(s.kind == "bars" or (s.kind == "area" and s.base is None) for s in chart.series):
        low, high = min(low, 0.0), max(high, 0.0)
    if chart.y_min is not None:
        low = min(low, chart.y_min)
    if chart.y_symmetric:
        top = max(abs(low), abs(high))
        low, high = -top, top
    if high - low < 1e-12:
        pad = abs(high) * 0.01 or 1.0
        low, high = low - pad, high + pad
    pad = (high - low) * 0.06
    return (low - (pad if chart.y_min is None or low > chart.y_min else 0.0), high + pad)


def render(chart: Chart, width: int = WIDTH) -> str:
    """The chart as an SVG element (text), sized ``width`` x ``chart.height`` CSS pixels.

    Args:
        chart: What to draw.
        width: Width in CSS pixels.

    Returns:
        ``<svg ...>...</svg>``.
    """
    height = chart.height
    n = len(chart.times)
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    top, bottom = MARGIN_TOP + (14 if chart.note else 0), height - MARGIN_BOTTOM
    x_span = max(n - 1, 1)

    def x_of(step: float) -> float:
        return left + (right - left) * (step / x_span)

    low, high = _y_range(chart, n)

    def y_of(v: np.ndarray | float) -> np.ndarray:
        return bottom - (bottom - top) * ((np.asarray(v, dtype=float) - low) / (high - low))

    out: list[str] = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" style="max-width:100%;height:auto;{FONT}" '
            f'class="gram-svg" role="img" aria-label="{html.escape(chart.title)}">'
        ),
        f'<text x="{left}" y="14" font-size="13" font-weight="600">{html.escape(chart.title)}</text>',
    ]
    if chart.note:
        out.append(
            f'<text x="{left}" y="{MARGIN_TOP + 6}" font-size="12" fill="#b71c1c" '
            f'class="gram-chart-note">{html.escape(chart.note)}</text>'
        )
    # Shaded stretches first, under everything.
    for span in chart.spans:
        x0, x1 = x_of(span.start - 0.5), x_of(min(span.stop, n) - 0.5)
        x0, x1 = max(x0, left), min(max(x1, x0 + 1), right)
        out.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{bottom - top}" '
            f'fill="{span.colour}"><title>{html.escape(span.label)}</title></rect>'
        )
    # Axes, grid and tick labels.
    for value in nice_ticks(low, high):
        y = float(y_of(value))
        if top - 0.5 <= y <= bottom + 0.5:
            out.append(
                f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e0e0e0"/>'
                f'<text x="{left - 5}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
                f"{short_number(float(value))}</text>"
            )
    for step, text in _time_ticks(chart.times, n):
        x = x_of(step)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="#616161"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" font-size="11" text-anchor="middle">{text}</text>'
        )
    out.append(
        f'<text x="12" y="{(top + bottom) / 2:.0f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {(top + bottom) / 2:.0f})">{html.escape(chart.y_title)}</text>'
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        'fill="none" stroke="#9e9e9e"/>'
    )
    for ref in chart.hlines:
        if low <= ref.value <= high:
            y = float(y_of(ref.value))
            out.append(
                f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{ref.colour}" '
                f'stroke-dasharray="{ref.dash}"><title>{html.escape(ref.label)}</title></line>'
            )
    xs = x_of(np.arange(n, dtype=float))
    for s in chart.series:
        out.append(_series(s, xs, y_of, n, (right - left) / max(n, 1), float(y_of(0.0))))
    for mark in chart.markers:
        if 0 <= mark.step < n:
            x = x_of(mark.step)
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="{mark.colour}" '
                f'stroke-width="1.2" stroke-dasharray="5 3"><title>{html.escape(mark.label)}'
                "</title></line>"
            )
    out.append(_legend(chart, left, right))
    out.append("</svg>")
    return "".join(out)


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """An SVG path through the finite points, broken at gaps."""
    ok = np.isfinite(ys)
    parts: list[str] = []
    for start, stop in runs(ok):
        pts = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in zip(xs[start:stop], ys[start:stop], strict=False)
        )
        parts.append(f"M{pts}" if stop - start > 1 else f"M{pts} l0.01,0")
    return " ".join(parts)


def _series(s: Series, xs, y_of, n: int, bar: float, zero: float) -> str:
    values = np.asarray(s.values[:n], dtype=float)
    ys = y_of(values)
    label = html.escape(s.label)
    dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
    if s.kind == "points":
        ok = np.flatnonzero(np.isfinite(ys))
        dots = "".join(f'<circle cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="2"/>' for i in ok)
        return f'<g fill="{s.colour}" fill-opacity="0.75"><title>{label}</title>{dots}</g>'
    if s.kind == "bars":
        ok = np.flatnonzero(np.isfinite(ys) & (values != 0))
        w = max(bar * 0.9, 1.0)
        rects = "".join(
            f'<rect x="{xs[i] - w / 2:.1f}" y="{min(ys[i], zero):.1f}" width="{w:.1f}" '
            f'height="{abs(ys[i] - zero):.1f}"/>'
            for i in ok
        )
        return f'<g fill="{s.colour}"><title>{label}</title>{rects}</g>'
    if s.kind == "area":
        base = np.zeros(n) if s.base is None else np.asarray(s.base[:n], dtype=float)
        upper, lower = np.nan_to_num(values), np.nan_to_num(base)
        yu, yl = y_of(upper), y_of(lower)
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, yu, strict=False))
        back = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs[::-1], yl[::-1], strict=False))
        return (
            f'<polygon points="{pts} {back}" fill="{s.colour}" fill-opacity="0.7">'
            f"<title>{label}</title></polygon>"
        )
    if s.kind == "step":
        xs2 = np.repeat(xs, 2)[1:]
        ys2 = np.repeat(ys, 2)[:-1]
        xs, ys = xs2, ys2
    return (
        f'<path d="{_path(xs, ys)}" fill="none" stroke="{s.colour}" stroke-width="{s.width}"'
        f'{dash} stroke-linejoin="round"><title>{label}</title></path>'
    )


_WIDE = frozenset("%±MWmw@")


def _text_width(text: str, size: float = 11.0) -> float:
    """Roughly how wide a text is drawn, in CSS pixels.

    Measured for a wide sans-serif such as DejaVu Sans: wide letters and signs about 0.85 em,
    capitals and digits 0.65 em, the rest 0.56 em.
    """
    ems = sum(0.85 if c in _WIDE else 0.65 if c.isupper() or c.isdigit() else 0.56 for c in text)
    return ems * size


def _legend(chart: Chart, left: float, right: float) -> str:
    """The legend as one row above the plot (wrapped onto the title line's right when long)."""
    entries: list[tuple[str, str, str]] = [(s.label, s.colour, s.kind) for s in chart.series]
    seen = set()
    for span in chart.spans:
        if span.label not in seen:
            seen.add(span.label)
            entries.append((span.label, span.colour, "span"))
    for mark in chart.markers:
        name = mark.legend or mark.label
        if name not in seen:
            seen.add(name)
            entries.append((name, mark.colour, "marker"))
    x, y = left, 30.0
    out = ['<g font-size="11" class="gram-legend">']
    for label, colour, kind in entries:
        text_width = _text_width(label) + 22
        if x + text_width > right and x > left:
            break  # the row is full: the rest is in each element's tooltip
        if kind in ("span",):
            out.append(f'<rect x="{x:.1f}" y="{y - 8}" width="14" height="10" fill="{colour}"/>')
        elif kind == "marker":
            out.append(
                f'<line x1="{x + 7:.1f}" x2="{x + 7:.1f}" y1="{y - 9}" y2="{y + 2}" '
                f'stroke="{colour}" stroke-dasharray="3 2" stroke-width="1.5"/>'
            )
        elif kind in ("points",):
            out.append(f'<circle cx="{x + 7:.1f}" cy="{y - 3}" r="3" fill="{colour}"/>')
        elif kind in ("bars", "area"):
            out.append(f'<rect x="{x:.1f}" y="{y - 8}" width="14" height="10" fill="{colour}"/>')
        else:
            out.append(
                f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="{y - 3}" y2="{y - 3}" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        out.append(f'<text x="{x + 18:.1f}" y="{y}">{html.escape(label)}</text>')
        x += text_width
    out.append("</g>")
    return "".join(out)
