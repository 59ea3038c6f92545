"""``/-/chart``: applications received (``t3.new_received.total``) per agency per year.

Drawn server-side as inline SVG — grouped bars, one group per year, one bar per agency —
with the numbers as a table beneath, so the page needs no JavaScript and no network.

Example::

    >>> svg = applications_svg([{"site": "dg-fenggang", "site_name": "凤岗镇", "year": 2020,
    ...                          "applications_received": 2}])
    >>> "凤岗镇" in svg and "<rect" in svg
    True
"""

from __future__ import annotations

from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.datasette_plugin.queries import APPLICATIONS_RECEIVED_SQL

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
BAR, GAP, PLOT_H, LEFT, TOP, LEGEND_ROW, LEGEND_COLUMN = 18, 24, 240, 56, 20, 22, 260


async def chart_page(datasette, request):
    db = datasette.get_database()
    rows = [dict(r) for r in (await db.execute(APPLICATIONS_RECEIVED_SQL)).rows]
    sites, years, values = _series(rows)
    return Response.html(await datasette.render_template("gk_chart.html", {
        "svg": Markup(applications_svg(rows)), "sites": sites, "years": years,
        "values": values, "database": db.name}, request=request))


def _series(rows: list[dict]) -> tuple[list[tuple[str, str]], list[int], dict]:
    """(site, label) in order, the years, and {(site, year): value}."""
    sites = list(dict.fromkeys((r["site"], r.get("site_name") or r["site"]) for r in rows))
    years = sorted({r["year"] for r in rows})
    values = {(r["site"], r["year"]): r["applications_received"] for r in rows}
    return sites, years, values


def applications_svg(rows: list[dict]) -> str:
    """Grouped bars of applications received; a blank (null) cell draws no bar."""
    sites, years, values = _series(rows)
    numbers = [v for v in values.values() if isinstance(v, (int, float))]
    top = _nice_ceiling(max(numbers, default=0))
    group_w = max(len(sites), 1) * BAR + GAP
    width = LEFT + max(len(years), 1) * group_w + GAP
    legend_y = TOP + PLOT_H + 40
    height = legend_y + LEGEND_ROW * len(sites) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
             f'font-size="12"><title>各机关每年新收政府信息公开申请数 / Applications received '
             f'per agency per year</title>']
    for i in range(5):
        tick = top * i / 4
        y = TOP + PLOT_H - PLOT_H * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for yi, year in enumerate(years):
        x0 = LEFT + GAP + yi * group_w
        parts.append(f'<text x="{x0 + len(sites) * BAR / 2:.1f}" y="{TOP + PLOT_H + 18}" '
                     f'text-anchor="middle">{year}</text>')
        for si, (site, label) in enumerate(sites):
            value = values.get((site, year))
            if not isinstance(value, (int, float)):
                continue
            h = PLOT_H * value / top if top else 0
            parts.append(
                f'<rect class="bar" data-site="{escape(site)}" data-year="{year}" '
                f'x="{x0 + si * BAR}" y="{TOP + PLOT_H - h:.1f}" width="{BAR - 2}" '
                f'height="{h:.1f}" fill="{PALETTE[si % len(PALETTE)]}">'
                f'<title>{escape(label)} {year}: {value:g}</title></rect>'
                f'<text x="{x0 + si * BAR + (BAR - 2) / 2:.1f}" y="{TOP + PLOT_H - h - 3:.1f}" '
                f'text-anchor="middle" font-size="10">{value:g}</text>')
    for si, (site, label) in enumerate(sites):
        y = legend_y + si * LEGEND_ROW
        parts.append(f'<rect x="{LEFT}" y="{y - 11}" width="12" height="12" '
                     f'fill="{PALETTE[si % len(PALETTE)]}"/><text x="{LEFT + 18}" y="{y}">'
                     f'{escape(label)} ({escape(site)})</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^n at or above ``value`` (4 at least, for tidy ticks)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= max(value, 4):
                return m * step
        step *= 10


def series_svg(years: list[int], series: list[tuple[str, str]], values: dict) -> str:
    """Small grouped bars: one group per year, one bar per series (key, label). A year with
    no report, or a blank cell, draws nothing: a gap, labelled ``无`` under the axis."""
    numbers = [v for v in values.values() if isinstance(v, (int, float))]
    top = _nice_ceiling(max(numbers, default=0))
    bar, plot_h = 12, 140
    group_w = len(series) * bar + GAP
    width = max(LEFT + max(len(years), 1) * group_w + GAP, LEFT + 2 * LEGEND_COLUMN)
    legend_y = TOP + plot_h + 40
    height = legend_y + LEGEND_ROW * ((len(series) + 1) // 2) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
             f'font-size="11"><title>每年关键数字 / Key figures per year</title>']
    for i in range(3):
        y = TOP + plot_h - plot_h * i / 2
        parts.append(f'<line x1="{LEFT}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{top * i / 2:g}</text>')
    for yi, year in enumerate(years):
        x0 = LEFT + GAP + yi * group_w
        drawn = False
        for si, (key, label) in enumerate(series):
            value = values.get((year, key))
            if not isinstance(value, (int, float)):
                continue
            drawn = True
            h = plot_h * value / top if top else 0
            parts.append(f'<rect class="bar" data-year="{year}" data-series="{escape(key)}" '
                         f'x="{x0 + si * bar}" y="{TOP + plot_h - h:.1f}" width="{bar - 2}" '
                         f'height="{h:.1f}" fill="{PALETTE[si % len(PALETTE)]}">'
                         f'<title>{year} {escape(label)}: {value:g}</title></rect>')
        parts.append(f'<text x="{x0 + len(series) * bar / 2:.1f}" y="{TOP + plot_h + 16}" '
                     f'text-anchor="middle">{year}</text>')
        if not drawn:
            parts.append(f'<text class="gap" data-year="{year}" '
                         f'x="{x0 + len(series) * bar / 2:.1f}" y="{TOP + plot_h + 30}" '
                         f'text-anchor="middle" fill="#999">无</text>')
    for si, (key, label) in enumerate(series):
        x, y = LEFT + (si % 2) * LEGEND_COLUMN, legend_y + (si // 2) * LEGEND_ROW
        parts.append(f'<rect x="{x}" y="{y - 10}" width="10" height="10" '
                     f'fill="{PALETTE[si % len(PALETTE)]}"/><text x="{x + 14}" y="{y}">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
