"""A hand-written SVG of p50 latency and throughput per server (no plotting dependency).

Two panels side by side, one bar per server and transport; the x axes are
logarithmic because the servers span two orders of magnitude, and every bar
carries its value so the figure reads without the axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

ROLE_COLORS = {"floor": "#9e9e9e", "mcpcore": "#1f6fd1", "peer": "#e07b39"}
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"


@dataclass
class Bar:
    label: str
    value: float
    role: str  # "floor", "mcpcore" or "peer": picks the colour


@dataclass
class Panel:
    title: str
    unit: str
    groups: list[tuple[str, list[Bar]]]  # (group heading, bars)


def _fmt(value: float, unit: str) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.0f}k {unit}"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}"


def _tick_label(value: float) -> str:
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _ticks(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0**power for power in range(first, last + 1)]


def _panel(panel: Panel, x0: float, y0: float, width: float, row: float) -> tuple[list[str], float]:
    """SVG elements for one panel at (x0, y0); returns them and the panel's height."""
    values = [bar.value for _, bars in panel.groups for bar in bars if bar.value > 0]
    out = [
        f"<text x='{x0}' y='{y0 + 16}' {FONT} font-size='15' font-weight='bold'>{escape(panel.title)}</text>"
    ]
    if not values:
        return out, 40.0
    ticks = _ticks(min(values) * 0.8, max(values) * 1.05)
    low, high = math.log10(ticks[0]), math.log10(ticks[-1])
    label_w, value_w = 190.0, 80.0
    plot_x, plot_w = x0 + label_w, width - label_w - value_w

    def scale(value: float) -> float:
        return plot_x + (math.log10(value) - low) / (high - low) * plot_w

    y = y0 + 34
    top = y
    for heading, bars in panel.groups:
        out.append(f"<text x='{x0}' y='{y + 12}' {FONT} font-size='12' fill='#555'>{escape(heading)}</text>")
        y += 18
        for bar in bars:
            if bar.value <= 0:
                continue
            end = scale(bar.value)
            color = ROLE_COLORS.get(bar.role, "#777")
            out.append(
                f"<text x='{plot_x - 6}' y='{y + row * 0.68}' {FONT} font-size='12' "
                f"text-anchor='end'>{escape(bar.label)}</text>"
            )
            out.append(
                f"<rect x='{plot_x:.1f}' y='{y + 2:.1f}' width='{max(end - plot_x, 1):.1f}' "
                f"height='{row - 4:.1f}' fill='{color}'/>"
            )
            out.append(
                f"<text x='{end + 4:.1f}' y='{y + row * 0.68}' {FONT} font-size='11'>"
                f"{escape(_fmt(bar.value, panel.unit))}</text>"
            )
            y += row
        y += 8
    for tick in ticks:
        tx = scale(tick)
        out.append(f"<line x1='{tx:.1f}' y1='{top}' x2='{tx:.1f}' y2='{y}' stroke='#ddd' stroke-width='1'/>")
        out.append(
            f"<text x='{tx:.1f}' y='{y + 14}' {FONT} font-size='10' fill='#777' "
            f"text-anchor='middle'>{escape(_tick_label(tick))}</text>"
        )
    # Grid lines first in paint order would hide under bars; put them before the bars instead.
    grid = [element for element in out if element.startswith("<line")]
    rest = [element for element in out if not element.startswith("<line")]
    return [rest[0], *grid, *rest[1:]], y + 24 - y0


def render(panels: Sequence[Panel], caption: str, *, width: float = 1000, row: float = 20) -> str:
    """The whole SVG document: panels side by side, a legend and a caption."""
    panel_w = width / max(len(panels), 1)
    body: list[str] = []
    height = 0.0
    for index, panel in enumerate(panels):
        elements, panel_h = _panel(panel, 10 + index * panel_w, 10, panel_w - 20, row)
        body += elements
        height = max(height, panel_h)
    y = height + 20
    legend_x = 10.0
    for role, label in (("floor", "floor (no MCP logic)"), ("mcpcore", "mcpcore"), ("peer", "peers")):
        body.append(f"<rect x='{legend_x}' y='{y}' width='12' height='12' fill='{ROLE_COLORS[role]}'/>")
        body.append(f"<text x='{legend_x + 16}' y='{y + 10}' {FONT} font-size='12'>{escape(label)}</text>")
        legend_x += 170
    body.append(f"<text x='10' y='{y + 32}' {FONT} font-size='11' fill='#555'>{escape(caption)}</text>")
    total_h = y + 44
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{total_h:.0f}' "
        f"viewBox='0 0 {width:.0f} {total_h:.0f}'>\n"
        f"<rect width='100%' height='100%' fill='white'/>\n" + "\n".join(body) + "\n</svg>\n"
    )
