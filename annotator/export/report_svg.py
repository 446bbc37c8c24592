"""Inline SVG charts of the agreement report (no external references, no scripts).

:func:`whiskers` draws every coefficient of every field as a dot with its 95% interval over
Krippendorff's bands; :func:`prevalence_bars` each field's label shares; :func:`heatmap` Cohen's
κ of every annotator pair.  Colours follow Krippendorff's bands (red below 0.667, amber up to
0.800, green above); percent agreement, which is not chance-corrected, is drawn in grey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from itertools import pairwise

from annotator.agreement import MetricValue
from annotator.export.report import COEFFICIENTS, FieldReport, Report
from annotator.export.report_text import TITLES, fmt_ci, fmt_pct

_STOPS = (
    (-1.0, (178, 24, 43)),
    (0.0, (215, 48, 39)),
    (0.4, (252, 141, 89)),
    (0.667, (254, 224, 139)),
    (0.8, (145, 207, 96)),
    (1.0, (26, 152, 80)),
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def colour(value: float | None) -> str:
    """The fill for a coefficient: Krippendorff's bands as a red-amber-green ramp."""
    if value is None:
        return "#e6e6e6"
    v = min(max(value, -1.0), 1.0)
    for (x0, c0), (x1, c1) in pairwise(_STOPS):
        if v <= x1:
            t = (v - x0) / (x1 - x0)
            r, g, b = (round(a + (b - a) * t) for a, b in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#1a9850"


def whiskers(report: Report) -> str:
    """Every coefficient of every field as a dot with its 95% interval on one axis."""
    rows: list[tuple[str, str, MetricValue]] = [
        (f.name, c, f.metric(c)) for f in report.fields.values() for c in COEFFICIENTS
    ]
    lows = [v.ci[0] if v.ci else v.value for _, _, v in rows if v.value is not None]
    lo = max(-1.0, math.floor(min([0.0, *[x for x in lows if x is not None]]) * 5) / 5)
    left, width, step, top = 250, 560, 22, 28
    height = top + step * len(rows) + 30

    def x(v: float) -> float:
        return left + (v - lo) / (1.0 - lo) * width

    parts = [
        f'<rect x="{x(0.667):.1f}" y="{top - 8}" width="{x(0.8) - x(0.667):.1f}" '
        f'height="{step * len(rows) + 4}" fill="#fff6d6"/>',
        f'<rect x="{x(0.8):.1f}" y="{top - 8}" width="{x(1.0) - x(0.8):.1f}" '
        f'height="{step * len(rows) + 4}" fill="#e3f4dd"/>',
    ]
    ticks = [round(lo + 0.2 * i, 1) for i in range(round((1.0 - lo) / 0.2) + 1)]
    for t in ticks:
        parts.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top - 8}" y2="{height - 26}" '
            f'stroke="#d0d5df" stroke-width="{1.5 if t == 0 else 0.7}"/>'
            f'<text x="{x(t):.1f}" y="{height - 10}" font-size="11" text-anchor="middle" '
            f'fill="#5b6478">{t:.1f}</text>'
        )
    previous = ""
    for i, (field_name, coefficient, v) in enumerate(rows):
        title = TITLES[coefficient]
        y = top + i * step + step / 2 - 6
        label = field_name if field_name != previous else ""
        previous = field_name
        parts.append(
            f'<text x="8" y="{y + 4:.1f}" font-size="12" font-weight="600">{_e(label)}</text>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end">'
            f"{_e(title)}</text>"
        )
        if v.value is None:
            parts.append(
                f'<text x="{left + 6}" y="{y + 4:.1f}" font-size="12" fill="#777" '
                f'font-style="italic">undefined (see the summary)<title>{_e(v.reason)}</title>'
                "</text>"
            )
            continue
        if v.ci is not None:
            a, b = x(v.ci[0]), x(v.ci[1])
            parts.append(
                f'<line x1="{a:.1f}" x2="{b:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#333" '
                f'stroke-width="1.5"/><line x1="{a:.1f}" x2="{a:.1f}" y1="{y - 5:.1f}" '
                f'y2="{y + 5:.1f}" stroke="#333"/><line x1="{b:.1f}" x2="{b:.1f}" '
                f'y1="{y - 5:.1f}" y2="{y + 5:.1f}" stroke="#333"/>'
            )
        fill = "#9aa3b5" if coefficient == "percent_agreement" else colour(v.value)
        parts.append(
            f'<circle cx="{x(v.value):.1f}" cy="{y:.1f}" r="5" fill="{fill}" '
            f'stroke="#333"/><text x="{left + width + 12}" y="{y + 4:.1f}" font-size="12">'
            f"{_e(fmt_ci(v))}</text>"
        )
    return (
        "<h2>Coefficients with 95% intervals</h2>"
        f'<svg width="{left + width + 150}" height="{height}" role="img" '
        f'aria-label="coefficients with confidence intervals">{"".join(parts)}</svg>'
        '<p class="meta">Amber band: 0.667-0.800 (tentative); green band: 0.800 and above '
        "(good). Percent agreement is not chance-corrected: read it against prevalence.</p>"
    )


def prevalence_bars(report: Report) -> str:
    """Each field's label shares as horizontal bars; a share of 80% or more is drawn red."""
    charts = []
    for f in report.fields.values():
        rows = list(f.prevalence.items())
        h = 22 * len(rows) + 26
        bars = [f'<text x="0" y="14" font-size="13" font-weight="600">{_e(f.name)}</text>']
        for i, (label, share) in enumerate(rows):
            y = 24 + i * 22
            fill = "#d73027" if share >= 0.8 else "#4575b4"
            bars.append(
                f'<text x="96" y="{y + 12}" font-size="12" text-anchor="end">{_e(label)}</text>'
                f'<rect x="102" y="{y}" width="200" height="15" fill="#eef1f6"/>'
                f'<rect x="102" y="{y}" width="{200 * share:.1f}" height="15" fill="{fill}"/>'
                f'<text x="308" y="{y + 12}" font-size="12">{fmt_pct(share)}</text>'
            )
        charts.append(f'<div><svg width="350" height="{h}">{"".join(bars)}</svg></div>')
    return (
        "<h2>Label prevalence</h2><p class='meta'>Share of each label on units with two or "
        "more annotators. A red bar (80% or more) means κ and α will be depressed by skewed "
        f"prevalence (the kappa paradox).</p><div class='grid'>{''.join(charts)}</div>"
    )


def heatmap(f: FieldReport, names: Sequence[str]) -> str:
    """Cohen's κ of every annotator pair of one field as a coloured grid (hover: interval)."""
    cell, left, top = 64, 90, 40
    size_w, size_h = left + cell * len(names) + 10, top + cell * len(names) + 10
    parts = [f'<text x="0" y="14" font-size="13" font-weight="600">{_e(f.name)}</text>']
    for j, b in enumerate(names):
        parts.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top - 6}" font-size="12" '
            f'text-anchor="middle">{_e(b)}</text>'
        )
    for i, a in enumerate(names):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4}" font-size="12" text-anchor="end">'
            f"{_e(a)}</text>"
        )
        for j, b in enumerate(names):
            xx = left + j * cell
            if a == b:
                parts.append(
                    f'<rect x="{xx}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                    f'fill="#f5f7fb"/><text x="{xx + cell / 2 - 1}" y="{y + cell / 2 + 5}" '
                    'font-size="14" text-anchor="middle" fill="#9aa3b5">—</text>'
                )
                continue
            v = f.cohen_kappa.get((a, b)) or f.cohen_kappa[(b, a)]
            dark = v.value is not None and (v.value < 0.15 or v.value > 0.92)
            text = "n/a" if v.value is None else f"{v.value:.2f}"
            tip = fmt_ci(v) if v.value is not None else f"undefined: {v.reason}"
            parts.append(
                f'<rect x="{xx}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="{colour(v.value)}"><title>{_e(a)} vs {_e(b)}: {_e(tip)}</title></rect>'
                f'<text x="{xx + cell / 2 - 1}" y="{y + cell / 2 + 5}" font-size="14" '
                f'text-anchor="middle" fill="{"#fff" if dark else "#1d2433"}">{text}</text>'
            )
    return f'<div><svg width="{size_w}" height="{size_h}">{"".join(parts)}</svg></div>'
