"""`finews report`: one self-contained HTML file with plots of the store.

Everything is inline (SVG drawn here, a few lines of CSS and script), so the file works
offline and can be mailed. Each plot is an `<svg class="plot" data-plot=NAME>` whose bars
carry `data-series`, `data-key` and `data-value`; a table of the same numbers follows it.
The script only checks, in the browser, that every plot has a drawn size and says so in
`data-rendered` (what the browser test reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from finews_spider.analysis.articles import Articles
from finews_spider.analysis.filters import BEIJING, Filters, When
from finews_spider.schema import stock_roles

PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]
#: Outlets beyond the most frequent ones are summed as OTHER.
TOP_OUTLETS = 8
OTHER = "其他 (other)"
UNKNOWN = "(unknown)"


@dataclass
class Plot:
    """One chart's numbers: `series[name][i]` is the value of `categories[i]`."""

    name: str
    title: str
    categories: list[str]
    series: dict[str, list[float]] = field(default_factory=dict)
    unit: str = "articles"
    horizontal: bool = False
    stacked: bool = True
    note: str = ""


@dataclass
class ReportData:
    since: datetime | None
    until: datetime | None
    articles: int
    outlets: int
    runs: int
    plots: list[Plot]
    security: str | None


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def collect(
    news: Articles,
    since: When | None = None,
    until: When | None = None,
    *,
    code: str | None = None,
    top: int = 15,
) -> ReportData:
    """The report's numbers from the store (articles by `published_at`, runs by
    `finished_at`, both in [since, until); naive times are Beijing)."""
    window = Filters.of(since=since, until=until)
    kwargs: dict[str, Any] = {"since": since, "until": until}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    plots: list[Plot] = []

    rows = news.per_day(by="outlet", **kwargs)
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.key or UNKNOWN] = totals.get(r.key or UNKNOWN, 0) + r.articles
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    shown = ranked[:TOP_OUTLETS]
    days = _days(rows[0].day, rows[-1].day) if rows else []
    per_day = Plot("per_day", "Articles per Beijing day, by outlet", days)
    for outlet in [*shown, *([OTHER] if len(ranked) > TOP_OUTLETS else [])]:
        per_day.series[outlet] = [0.0] * len(days)
    index = {d: i for i, d in enumerate(days)}
    for r in rows:
        key = r.key or UNKNOWN
        per_day.series[key if key in shown else OTHER][index[r.day]] += r.articles
    plots.append(per_day)

    mentions = news.most_mentioned(limit=top, **kwargs)
    labels = [f"{m.name or m.code} {m.secid}" for m in mentions]  # 0.000001 is not 1.000001
    plots.append(
        Plot(
            "mentions",
            f"Most-mentioned securities (top {top}) by role",
            labels,
            {role: [m.by_role.get(role, 0) for m in mentions] for role in stock_roles()},
            horizontal=True,
            stacked=False,
            note="chart: the article's chart widget (strongest); tag: an inline mention; text: "
            "written with its code; name: named without a code (weakest). "
            "An article may name a security in several roles.",
        )
    )

    chosen = next((m for m in mentions if m.code == code), None) if code else None
    chosen = chosen or (mentions[0] if mentions else None)
    security = f"{chosen.name or chosen.code} ({chosen.secid})" if chosen else code
    timeline_rows = news.timeline(secid=chosen.secid, **kwargs) if chosen else []
    t_days = _days(timeline_rows[0].day, timeline_rows[-1].day) if timeline_rows else []
    counts = {r.day: r.articles for r in timeline_rows}
    plots.append(
        Plot(
            "timeline",
            f"Timeline of {security or 'a security'}: articles per Beijing day",
            t_days,
            {security or "articles": [float(counts.get(d, 0)) for d in t_days]},
        )
    )

    runs = news.runs(since=since, until=until)
    run_labels = [_run_label(i, r) for i, r in enumerate(runs, 1)]
    reasons = sorted({k for r in runs for k in (r.get("rejected_by_reason") or {})})
    plots.append(
        Plot(
            "rejects",
            "Rejects by reason, per run",
            run_labels,
            {
                k: [float((r.get("rejected_by_reason") or {}).get(k, 0)) for r in runs]
                for k in reasons
            },
            unit="pages",
        )
    )
    plots.append(
        Plot(
            "run_duration",
            "Run health: duration",
            run_labels,
            {"seconds": [_duration(r) for r in runs]},
            unit="s",
        )
    )
    plots.append(
        Plot(
            "run_new",
            "Run health: new and updated articles",
            run_labels,
            {
                "new": [float(r.get("articles_new", 0)) for r in runs],
                "updated": [float(r.get("articles_updated", 0)) for r in runs],
            },
        )
    )
    plots.append(
        Plot(
            "run_failures",
            "Run health: failures (failed run = 1, dead letters, unbalanced ledger = 1)",
            run_labels,
            {
                "failed": [float(bool(r.get("failed"))) for r in runs],
                "dead_lettered": [float(r.get("dead_lettered", 0)) for r in runs],
                "unbalanced": [float(not r.get("balanced", True)) for r in runs],
            },
            unit="",
        )
    )
    articles = news.db.articles.count_documents(window.mongo())
    return ReportData(
        since=window.since,
        until=window.until,
        articles=articles,
        outlets=len(totals),
        runs=len(runs),
        plots=plots,
        security=security,
    )


def _run_label(number: int, run: dict[str, Any]) -> str:
    """`#3 03-05 18:20 replay`: numbered, since two runs may end in the same minute."""
    when = run.get("finished_at") or run.get("started_at")
    stamp = when.astimezone(BEIJING).strftime("%m-%d %H:%M") if when else "?"
    return f"#{number} {stamp} {run.get('spider', '?')}"


def _duration(run: dict[str, Any]) -> float:
    start, end = run.get("started_at"), run.get("finished_at")
    if not start or not end:
        return 0.0
    return round((end - start).total_seconds(), 1)


# -- rendering ---------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:g}"


def svg(plot: Plot, width: int = 1100) -> str:
    """The plot as inline SVG (bars with data attributes and hover titles)."""
    names = list(plot.series)
    colors = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    cats = plot.categories
    attrs = f'class="plot" data-plot="{plot.name}" role="img" aria-label="{escape(plot.title)}"'
    if not cats or not names:
        return (
            f'<svg {attrs} data-empty="yes" viewBox="0 0 {width} 60" width="{width}" height="60">'
            f'<text x="10" y="35" class="empty">no data in this window</text></svg>'
        )
    if plot.stacked:
        peak = max(sum(plot.series[n][i] for n in names) for i in range(len(cats)))
    else:
        peak = max(max(v) for v in plot.series.values())
    peak = peak or 1.0
    parts: list[str] = []
    if plot.horizontal:
        left, right, top, row = 220, 40, 10, 22
        height = top + row * len(cats) + 30
        span = width - left - right
        for i, cat in enumerate(cats):
            y = top + i * row
            parts.append(
                f'<text x="{left - 6}" y="{y + row * 0.65:.1f}" text-anchor="end">'
                f"{escape(cat)}</text>"
            )
            offset = 0.0
            bar_h = (row - 4) / (1 if plot.stacked else len(names))
            for j, name in enumerate(names):
                value = plot.series[name][i]
                w = span * value / peak
                x = left + (offset if plot.stacked else 0)
                by = y + 2 + (0 if plot.stacked else j * bar_h)
                parts.append(_rect(x, by, w, bar_h, colors[name], name, cat, value, plot.unit))
                if plot.stacked:
                    offset += w
        parts.append(_axis_h(left, top + row * len(cats), span, peak))
    else:
        left, right, top, bottom = 50, 20, 10, 90
        height = 360
        plot_h = height - top - bottom
        span = width - left - right
        slot = span / len(cats)
        every = max(1, int(len(cats) / 40) + 1)
        for i, cat in enumerate(cats):
            x = left + i * slot
            base = top + plot_h
            bar_w = max(slot * 0.8 / (1 if plot.stacked else len(names)), 1.0)
            for j, name in enumerate(names):
                value = plot.series[name][i]
                h = plot_h * value / peak
                bx = x + slot * 0.1 + (0 if plot.stacked else j * bar_w)
                parts.append(
                    _rect(bx, base - h, bar_w, h, colors[name], name, cat, value, plot.unit)
                )
                if plot.stacked:
                    base -= h
            if i % every == 0:
                lx, ly = x + slot / 2, top + plot_h + 12
                parts.append(
                    f'<text x="{lx:.1f}" y="{ly}" transform="rotate(45 {lx:.1f} {ly})" '
                    f'class="tick">{escape(cat)}</text>'
                )
        parts.append(_axis_v(left, top, plot_h, span, peak))
    legend = "".join(
        f'<span class="key"><i style="background:{colors[n]}"></i>{escape(n)}</span>' for n in names
    )
    return (
        f'<svg {attrs} viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        + "".join(parts)
        + f'</svg><div class="legend">{legend}</div>'
    )


def _rect(
    x: float,
    y: float,
    w: float,
    h: float,
    color: str,
    series: str,
    key: str,
    value: float,
    unit: str,
) -> str:
    tip = f"{series} · {key}: {_fmt(value)} {unit}".strip()
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
        f'fill="{color}" data-series="{escape(series)}" data-key="{escape(key)}" '
        f'data-value="{_fmt(value)}"><title>{escape(tip)}</title></rect>'
    )


def _axis_v(left: int, top: int, plot_h: float, span: float, peak: float) -> str:
    lines = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + span}" y2="{top + plot_h}" '
        'class="axis"/>'
    ]
    for k in range(5):
        value = peak * k / 4
        y = top + plot_h - plot_h * k / 4
        lines.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{value:.3g}</text>"
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + span}" y2="{y:.1f}" class="grid"/>'
        )
    return "".join(lines)


def _axis_h(left: int, y: float, span: float, peak: float) -> str:
    lines = [f'<line x1="{left}" y1="{y}" x2="{left + span}" y2="{y}" class="axis"/>']
    for k in range(5):
        x = left + span * k / 4
        lines.append(
            f'<text x="{x:.1f}" y="{y + 16}" text-anchor="middle" class="tick">'
            f"{peak * k / 4:.3g}</text>"
        )
    return "".join(lines)


def table(plot: Plot) -> str:
    names = list(plot.series)
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    rows = "".join(
        f"<tr><td>{escape(c)}</td>"
        + "".join(f"<td>{_fmt(plot.series[n][i])}</td>" for n in names)
        + "</tr>"
        for i, c in enumerate(plot.categories)
    )
    return (
        f'<details><summary>numbers</summary><table data-table="{plot.name}">'
        f"<tr><th></th>{head}</tr>{rows}</table></details>"
    )


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:24px;color:#222;max-width:1160px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}
.summary span{display:inline-block;margin-right:22px}.summary b{font-size:18px}
svg.plot{display:block;max-width:100%;height:auto;background:#fafafa;border:1px solid #eee}
svg text{font-size:11px;fill:#333}.tick{fill:#666}.axis{stroke:#999}.grid{stroke:#eee}
.empty{font-size:14px;fill:#999}.legend{margin:4px 0}.key{margin-right:14px;white-space:nowrap}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.note{color:#666;font-size:12px}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}td:first-child{text-align:left}
"""

_SCRIPT = """
(function(){
  var plots=document.querySelectorAll('svg.plot'), ok=0;
  plots.forEach(function(p){
    var box=p.getBoundingClientRect(), bars=p.querySelectorAll('rect'), drawn=0;
    bars.forEach(function(r){var b=r.getBBox(); if(b.width>0||b.height>0){drawn++;}});
    var rendered=box.width>0&&box.height>0&&(drawn>0||p.dataset.empty==='yes');
    p.setAttribute('data-rendered', rendered?'yes':'no');
    p.setAttribute('data-drawn', String(drawn));
    if(rendered){ok++;}
  });
  document.body.setAttribute('data-plots-rendered', ok+'/'+plots.length);
})();
"""


def render(data: ReportData, generated_at: datetime | None = None) -> str:
    """The whole HTML document."""
    generated_at = generated_at or datetime.now(UTC)

    def when(value: datetime | None) -> str:
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value else "…"

    sections = "".join(
        f'<section id="{p.name}"><h2>{escape(p.title)}</h2>{svg(p)}'
        + (f'<p class="note">{escape(p.note)}</p>' if p.note else "")
        + f"{table(p)}</section>"
        for p in data.plots
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>finews report</title><style>{_CSS}</style></head>
<body>
<h1>finews report</h1>
<p class="note">Window (Beijing time): {when(data.since)} to {when(data.until)}.
Generated {when(generated_at)} Beijing. Days are Beijing calendar days.</p>
<p class="summary"><span><b data-total="articles">{data.articles}</b> articles</span>
<span><b data-total="outlets">{data.outlets}</b> outlets</span>
<span><b data-total="runs">{data.runs}</b> runs</span></p>
{sections}
<script>{_SCRIPT}</script>
</body></html>
"""


def build_report(
    news: Articles,
    since: When | None = None,
    until: When | None = None,
    *,
    code: str | None = None,
) -> str:
    return render(collect(news, since, until, code=code))
