"""Charts as SVG, drawn on the server: nothing is fetched from anywhere, numbers are in the markup."""

from __future__ import annotations

from datetime import datetime
from html import escape

PALETTE = ("#1f5f99", "#b3541e", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c", "#ad1457", "#37474f")


def bar_chart(title: str, rows: list[tuple[str, float, str]], width: int = 640) -> str:
    """Horizontal bars, one per (label, value, unit); each bar's value is written next to it."""
    bar_h, gap, label_w, top = 22, 8, 260, 10
    height = top + len(rows) * (bar_h + gap) + 10 if rows else 40
    biggest = max((v for _, v, _ in rows), default=0) or 1
    span = width - label_w - 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>']
    if not rows:
        parts.append('<text x="10" y="25" fill="#333">no events in this period</text>')
    for i, (label, value, unit) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1, int(span * (value / (100 if unit == "%" else biggest))))
        shown = f"{value:g}{unit}"
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-value="{value:g}">'
                     f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" fill="#222">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{PALETTE[i % len(PALETTE)]}"/>'
                     f'<text x="{label_w + w + 6}" y="{y + 16}" fill="#222">{escape(shown)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: dict[str, list[tuple[datetime, float]]], start: datetime, end: datetime,
               width: int = 760, height: int = 260) -> str:
    """One line per series over [start, end], with a legend; y from 0 to the largest value."""
    left, right, top, bottom = 60, 180, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    biggest = max((v for points in series.values() for _, v in points), default=0) or 1
    total = (end - start).total_seconds() or 1

    def xy(t: datetime, v: float) -> str:
        x = left + plot_w * max(0.0, min(1.0, (t - start).total_seconds() / total))
        return f"{x:.1f},{top + plot_h - plot_h * v / biggest:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#555"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" fill="#222">{biggest:g}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" fill="#222">0</text>',
             f'<text x="{left}" y="{height - 8}" fill="#222">{start:%H:%M}</text>',
             f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" fill="#222">{end:%H:%M} UTC</text>']
    if not series:
        parts.append(f'<text x="{left + 10}" y="{top + 30}" fill="#333">no samples yet</text>')
    for i, (name, points) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        if len(points) > 1:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                         f'points="{" ".join(xy(t, v) for t, v in points)}"/>')
        for t, v in points[-1:]:
            parts.append(f'<circle cx="{xy(t, v).split(",")[0]}" cy="{xy(t, v).split(",")[1]}" r="3" fill="{colour}"/>')
        y = top + 14 + i * 18
        parts.append(f'<rect x="{width - right + 10}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{width - right + 28}" y="{y}" fill="#222">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
