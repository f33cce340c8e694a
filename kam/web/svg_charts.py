"""Small charts drawn as inline SVG on the server: for printed pages (no JavaScript, no network).

Every text is escaped; sizes are in SVG user units (the page scales them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

INK = "#1b2733"
MUTED = "#6b7785"
BLUE = "#1f5f8b"
LIGHT = "#a9cbe8"
STATUS_COLOURS = {"on_track": "#1d6b35", "at_risk": "#b36b00", "off_track": "#b3261e"}


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 10) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{INK}">{escape(text)}</text>'
    )


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    label: Callable[[float], str],
    title: str,
    width: int = 520,
    height: int = 190,
) -> str:
    """Vertical bars (e.g. net revenue by year), each with its value above it."""
    if not bars:
        return ""
    top, bottom, side = 22, 24, 8
    plot = height - top - bottom
    highest = max((v for _, v in bars), default=0.0)
    scale = plot / highest if highest > 0 else 0.0
    slot = (width - 2 * side) / len(bars)
    bar = min(slot * 0.6, 70)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{side}" y1="{top + plot}" x2="{width - side}" y2="{top + plot}" '
        f'stroke="{MUTED}" stroke-width="1"/>',
    ]
    for i, (name, value) in enumerate(bars):
        x = side + i * slot + (slot - bar) / 2
        h = max(value, 0.0) * scale
        y = top + plot - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{BLUE}"/>'
        )
        parts.append(_text(x + bar / 2, y - 4, label(value), size=9))
        parts.append(_text(x + bar / 2, height - 8, name))
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class ProgressBar:
    label: str
    actual: float | None  # actual ÷ target (1 = reached)
    expected: float | None  # forecast ÷ target
    status: str  # on_track / at_risk / off_track, or ""
    note: str  # printed at the end of the bar, e.g. "64 % · forecast 98 %"


def progress_chart(
    rows: Sequence[ProgressBar], *, title: str, width: int = 520, row_height: int = 26
) -> str:
    """One horizontal bar per objective: the forecast (light) behind the actual, to a 100 % line."""
    if not rows:
        return ""
    name_width, note_width, top = 150, 130, 6
    plot = width - name_width - note_width - 8
    height = top * 2 + row_height * len(rows)
    full = 1.25  # the axis runs to 125 % of the target
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, row in enumerate(rows):
        y = top + i * row_height
        colour = STATUS_COLOURS.get(row.status, BLUE)
        parts.append(_text(name_width - 6, y + row_height / 2 + 3, row.label[:28], anchor="end"))
        parts.append(
            f'<rect x="{name_width}" y="{y + 5}" width="{plot}" height="{row_height - 10}" '
            f'fill="#eef2f6"/>'
        )
        if row.expected is not None:
            w = min(max(row.expected, 0.0), full) / full * plot
            parts.append(
                f'<rect x="{name_width}" y="{y + 5}" width="{w:.1f}" height="{row_height - 10}" '
                f'fill="{LIGHT}"/>'
            )
        if row.actual is not None:
            w = min(max(row.actual, 0.0), full) / full * plot
            parts.append(
                f'<rect x="{name_width}" y="{y + 9}" width="{w:.1f}" height="{row_height - 18}" '
                f'fill="{colour}"/>'
            )
        parts.append(_text(name_width + plot + 6, y + row_height / 2 + 3, row.note, anchor="start"))
    target_x = name_width + plot / full
    parts.append(
        f'<line x1="{target_x:.1f}" y1="{top}" x2="{target_x:.1f}" y2="{height - top}" '
        f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="3,2"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
