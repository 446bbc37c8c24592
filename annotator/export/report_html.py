"""The agreement report as one self-contained HTML page: inline CSS and inline SVG charts.

Nothing is fetched: no scripts, fonts, images or style sheets from anywhere else, so the file
can be mailed, archived or opened offline and printed as is.  Charts: a 95% interval (whisker)
chart of every coefficient per field, each field's label prevalence, and a heatmap of Cohen's κ
for every annotator pair per field.  Colours follow Krippendorff's bands (red below 0.667,
amber up to 0.800, green above).
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

from annotator.agreement import MetricValue
from annotator.export.report import COEFFICIENTS, AnnotatorStats, Report
from annotator.export.report_svg import heatmap, prevalence_bars, whiskers
from annotator.export.report_text import (
    HOW_TO_READ,
    TITLES,
    findings,
    fmt,
    fmt_pct,
    fmt_seconds,
    plural,
    reading_notes,
    session_text,
    verdict,
)

_CSS = """
:root{--ink:#1d2433;--muted:#5b6478;--line:#d9dee8;--soft:#f5f7fb;--good:#1a9850;
--mid:#d8a200;--low:#d73027}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--ink);max-width:1100px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;
border-bottom:2px solid var(--line)}h3{font-size:15px;margin:18px 0 6px}
.meta{color:var(--muted);font-size:13.5px}
.box{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:12px 18px;
margin:14px 0}.box.attn{border-left:5px solid var(--low)}.box.note{border-left:5px solid var(--mid)}
.box ul{margin:4px 0;padding-left:20px}
table{border-collapse:collapse;margin:6px 0 14px;font-size:13.5px}
th,td{border:1px solid var(--line);padding:4px 9px;text-align:right;vertical-align:top}
th{background:var(--soft);font-weight:600}td.l,th.l{text-align:left}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.b-good{background:#d9f0d3;color:#14632f}.b-tentative{background:#fff1c2;color:#7a5800}
.b-low{background:#fbd5d0;color:#8c1d13}.b-undefined{background:#e8e8e8;color:#555}
td.low,td.diff{background:#fbd5d0}.ci{color:var(--muted);font-size:12px}.undef{color:var(--muted);font-style:italic}
.grid{display:flex;flex-wrap:wrap;gap:18px 28px;align-items:flex-start}
.unit{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:12px 0;
break-inside:avoid}.unit blockquote{margin:6px 0 8px;padding:6px 12px;background:var(--soft);
border-left:4px solid var(--line)}.unit .meta{margin:0}
.howto dt{font-weight:600;margin-top:8px}.howto dd{margin:2px 0 0 0;color:#333}
svg text{font-family:inherit}
@media print{body{padding:0;font-size:12px}h2{break-after:avoid}
.grid>div,table,.box{break-inside:avoid}@page{margin:14mm}}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _badge(alpha: MetricValue) -> str:
    v = verdict(alpha)
    return f'<span class="badge b-{v}">{v}</span>'


def _metric_cell(value: MetricValue) -> str:
    if value.value is None:
        return f'<td><span class="undef" title="{_e(value.reason)}">undefined</span></td>'
    ci = ""
    if value.ci is not None:
        ci = f'<br><span class="ci">[{value.ci[0]:.2f}, {value.ci[1]:.2f}]</span>'
    return f"<td><b>{value.value:.3f}</b>{ci}</td>"


def _summary(report: Report) -> str:
    head = "".join(f"<th>{_e(TITLES[c])}</th>" for c in COEFFICIENTS)
    rows = []
    for f in report.fields.values():
        cells = "".join(_metric_cell(f.metric(c)) for c in COEFFICIENTS)
        rows.append(
            f'<tr><td class="l"><b>{_e(f.name)}</b></td><td>{f.n_units}</td>'
            f"<td>{f.n_annotators}</td>{cells}<td>{_badge(f.krippendorff_alpha)}</td></tr>"
        )
    notes = [f"<li><b>{_e(fields)}</b>: {_e(text)}</li>" for fields, text in reading_notes(report)]
    extra = f'<div class="box note"><ul>{"".join(notes)}</ul></div>' if notes else ""
    return (
        "<h2>Summary</h2><table><tr><th class='l'>field</th><th>units</th><th>annotators</th>"
        f"{head}<th>α reads as</th></tr>{''.join(rows)}</table>{extra}"
    )


def _pairs(report: Report) -> str:
    maps = "".join(heatmap(f, report.annotators) for f in report.fields.values())
    fields = list(report.fields.values())
    head = "".join(f"<th>{_e(f.name)}<br><span class='ci'>κ · % agree</span></th>" for f in fields)
    rows = []
    for pair in fields[0].cohen_kappa:
        cells = "".join(
            f"<td>{fmt(f.cohen_kappa[pair].value, 2)} · {fmt_pct(f.pair_percent[pair].value)}</td>"
            for f in fields
        )
        rows.append(f"<tr><td class='l'>{_e(pair[0])} – {_e(pair[1])}</td>{cells}</tr>")
    return (
        "<h2>Pairwise Cohen's κ</h2><p class='meta'>A row that is red against everyone points "
        f"at one annotator; hover a cell for its 95% interval.</p><div class='grid'>{maps}</div>"
        f"<table><tr><th class='l'>pair</th>{head}</tr>{''.join(rows)}</table>"
    )


def _maj(stats: AnnotatorStats, field_name: str) -> float | None:
    value = stats.majority_agreement.get(field_name)
    return value.value if value is not None else None


def _low(value: float | None, best: float | None) -> str:
    low = value is not None and best is not None and value < best - 0.1
    return " class='low'" if low else ""


def _annotators(report: Report) -> str:
    fields = list(report.fields)
    head = "".join(f"<th>{_e(f)}</th>" for f in fields)
    best = {
        f: max(
            (v for s in report.annotator_stats.values() if (v := _maj(s, f)) is not None),
            default=None,
        )
        for f in fields
    }
    rows = []
    for s in report.annotator_stats.values():
        cells = "".join(
            f"<td{_low(_maj(s, f), best[f])}>{fmt_pct(_maj(s, f))}</td>" for f in fields
        )
        rows.append(
            f"<tr><td class='l'><b>{_e(s.name)}</b></td><td>{s.units_labeled}</td>"
            f"<td>{s.incomplete}</td><td>{fmt_seconds(s.median_seconds)}</td>{cells}</tr>"
        )
    return (
        "<h2>Annotators</h2><table><tr><th class='l' rowspan=2>annotator</th>"
        "<th rowspan=2>units labelled</th><th rowspan=2>incomplete</th>"
        f"<th rowspan=2>median s / unit</th><th colspan={len(fields)}>agrees with the others' "
        f"majority</th></tr><tr>{head}</tr>{''.join(rows)}</table><p class='meta'>Seconds per "
        "unit come from the event log (gaps over 10 minutes are breaks and are left out). "
        "Majority agreement leaves out units where the others tie; red: 10 points or more "
        "below the best annotator on that field.</p>"
    )


def _confusions(report: Report) -> str:
    out = []
    for f in report.fields.values():
        if not f.confusion:
            continue
        tables = []
        for (a, b), cm in f.confusion.items():
            head = "".join(f"<th>{_e(c)}</th>" for c in f.categories)
            body = []
            for i, (cat, row) in enumerate(zip(f.categories, cm, strict=True)):
                total = max(sum(row), 1)
                cells = "".join(
                    f"<td style='background:rgba({'26,152,80' if i == j else '215,48,39'},"
                    f"{0.08 + 0.6 * n / total if n else 0:.2f})'>{n}</td>"
                    for j, n in enumerate(row)
                )
                body.append(f"<tr><th class='l'>{_e(cat)}</th>{cells}</tr>")
            tables.append(
                f"<div><h3>{_e(a)} (rows) vs {_e(b)} (columns)</h3><table><tr><th></th>{head}"
                f"</tr>{''.join(body)}</table></div>"
            )
        out.append(
            f"<h2>Confusion matrices: {_e(f.name)}</h2><div class='grid'>{''.join(tables)}</div>"
        )
    return "".join(out)


def _show(value: Any) -> str:
    return ", ".join(value) or "—" if isinstance(value, list) else str(value or "—")


def _label_rows(labels: dict[str, dict[str, Any]], notes: dict[str, str]) -> str:
    """One row per annotator; a value other than the majority's (all of them on a tie) is marked."""
    columns = {g for lab in labels.values() for g in lab}
    common: dict[str, str | None] = {}
    for g in columns:
        top = Counter(_show(lab.get(g)) for lab in labels.values()).most_common(2)
        common[g] = top[0][0] if len(top) == 1 or top[0][1] > top[1][1] else None
    rows = []
    for who, lab in labels.items():
        cells = "".join(
            f"<td class='l{' diff' if _show(v) != common[g] else ''}'>{_e(_show(v))}</td>"
            for g, v in lab.items()
        )
        rows.append(
            f"<tr><td class='l'><b>{_e(who)}</b></td>{cells}"
            f"<td class='l'>{_e(notes.get(who, ''))}</td></tr>"
        )
    return "".join(rows)


def _disagreements(report: Report) -> str:
    if not report.disagreements:
        return "<h2>Most disagreed units</h2><p>No unit has a disagreement.</p>"
    head = "".join(f"<th class='l'>{_e(g)}</th>" for g in report.groups)
    nominal = [f.name for f in report.fields.values() if f.kind == "nominal"]
    what = f"agreement on {' and '.join(nominal)}" if nominal else "agreement"
    items = []
    for i, d in enumerate(report.disagreements, 1):
        rows = _label_rows(d.labels, d.notes)
        items.append(
            f"<div class='unit'><p class='meta'><b>{i}.</b> article <b>{_e(d.article)}</b>, "
            f"unit {d.unit} (id {d.unit_id}) · {_e(what)} {fmt(d.agreement, 2)} · "
            f"{d.flag_disagreements} flag disagreement(s)</p><blockquote>{_e(d.text)}"
            f"</blockquote><table><tr><th class='l'>annotator</th>{head}<th class='l'>note</th>"
            f"</tr>{rows}</table></div>"
        )
    return (
        "<h2>Most disagreed units</h2><p class='meta'>Lowest agreement on the single-choice "
        "fields first, then most flag disagreements. Use them to sharpen the guideline.</p>"
        + "".join(items)
    )


def _gold(report: Report) -> str:
    if report.gold is None:
        return ""
    rows = "".join(
        f"<tr><td class='l'><b>{_e(who)}</b></td><td class='l'>{_e(f)}</td>"
        f"{_metric_cell(g.cohen_kappa)}<td>{fmt_pct(g.percent_agreement.value)}</td>"
        f"<td>{g.n_units}</td></tr>"
        for who, per in report.gold.items()
        for f, g in per.items()
    )
    return (
        f"<h2>Each annotator against gold</h2><p class='meta'>{report.gold_units} units have "
        "gold labels.</p><table><tr><th class='l'>annotator</th><th class='l'>field</th>"
        f"<th>Cohen's κ</th><th>% agreement</th><th>units</th></tr>{rows}</table>"
    )


def html_page(report: Report) -> str:
    """The whole report as one HTML document with no external references."""
    session = session_text(report)
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    howto = "".join(
        f"<dt>{_e(TITLES.get(k, k))}</dt><dd>{_e(v)}</dd>" for k, v in HOW_TO_READ.items()
    )
    body = [
        f"<h1>Agreement report</h1><p class='meta'>Scheme <b>{_e(report.scheme_ref)}</b> · "
        f"{_e(session)} · {plural(len(report.annotators), 'annotator')} "
        f"({_e(', '.join(report.annotators))}) · {report.n_units} labelled units · generated "
        f"{_e(report.generated_at)} · 95% bootstrap intervals, {report.n_boot} resamples, "
        f"seed {report.seed}</p>",
        "<div class='box attn'><b>What needs attention</b><ul>"
        + "".join(f"<li>{_e(s)}</li>" for s in findings(report))
        + "</ul></div>",
        f"<div class='box note'><b>Notes</b><ul>{notes}</ul></div>" if notes else "",
        _summary(report),
        whiskers(report),
        prevalence_bars(report),
        _pairs(report),
        _annotators(report),
        _confusions(report),
        _disagreements(report),
        _gold(report),
        f"<h2>How to read this</h2><dl class='howto'>{howto}</dl>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Agreement report: {_e(report.scheme_ref)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
