"""The portfolio matrix as a Plotly figure: attractiveness against our strength.

The page renders it with the packaged plotly.js (kam.js). Each bubble's
`customdata` starts with the address of the client's page, which kam.js opens
on a click; movement arrows are layout annotations named "move-key" (a key
account's) or "move-other", which kam.js shows or hides from the toggle.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any

import plotly.graph_objects as go

from kam.analytics.charts import BASE_LAYOUT
from kam.analytics.core.portfolio import Quadrant, Thresholds

MAX_BUBBLE_PX = 48  # diameter of the largest bubble
MIN_BUBBLE_PX = 6
QUADRANT_COLOURS = {
    Quadrant.STRATEGIC: "#1f5f8b",
    Quadrant.STAR: "#c0692b",
    Quadrant.STATUS: "#4f9bd1",
    Quadrant.STREAMLINE: "#8a8f98",
}
STATUS_COLOURS = {True: "#1f5f8b", False: "#a9cbe8"}
MOVEMENTS = ("key", "all", "none")


@dataclass(frozen=True, slots=True)
class MatrixPoint:
    """One placed client, with its texts already in the viewer's language."""

    url: str
    name: str
    strength: float  # x, 0-100
    attractiveness: float  # y, the score 0-100
    revenue: Decimal  # the bubble's area
    quadrant: Quadrant
    is_key: bool
    hover: Sequence[str]  # name, score, strength, revenue, quadrant, as shown
    previous: tuple[float, float] | None = None  # (strength, attractiveness) a year before


def sizeref(revenues: Sequence[Decimal], *, max_px: int = MAX_BUBBLE_PX) -> float:
    """Plotly's sizeref so that the largest revenue is a bubble `max_px` across (area mode)."""
    largest = max((float(r) for r in revenues), default=0.0)
    return 2.0 * largest / (max_px**2) if largest > 0 else 1.0


def movement_visible(name: str, movement: str) -> bool:
    """Whether an arrow named `name` shows under the toggle's `movement` (key, all, none)."""
    if movement == "all":
        return True
    return movement == "key" and name == "move-key"


def matrix_figure(
    points: Sequence[MatrixPoint],
    *,
    thresholds: Thresholds,
    labels: Mapping[str, str],
    hover: Mapping[str, str],
    colour_by: str = "quadrant",
    movement: str = "key",
) -> dict[str, Any]:
    """The matrix: one trace per colour group, quadrant lines and names, movement arrows.

    `labels` holds the axis titles ("x", "y"), the quadrant names (by Quadrant
    value) and "key" and "other" (the status legend); `hover` the names of the
    fields the tooltip shows: "score", "strength", "revenue", "quadrant".
    """
    fig = go.Figure()
    ref = sizeref([p.revenue for p in points])
    groups: list[tuple[str, str, list[MatrixPoint]]]
    if colour_by == "status":
        groups = [
            (str(labels[name]), STATUS_COLOURS[flag], [p for p in points if p.is_key is flag])
            for flag, name in ((True, "key"), (False, "other"))
        ]
    else:
        groups = [
            (str(labels[q.value]), QUADRANT_COLOURS[q], [p for p in points if p.quadrant is q])
            for q in Quadrant
        ]
    template = (
        "<b>%{customdata[1]}</b><br>"
        f"{escape(hover['score'])}: %{{customdata[2]}}<br>"
        f"{escape(hover['strength'])}: %{{customdata[3]}}<br>"
        f"{escape(hover['revenue'])}: %{{customdata[4]}}<br>"
        f"{escape(hover['quadrant'])}: %{{customdata[5]}}<extra></extra>"
    )
    for name, colour, members in groups:
        if not members:
            continue
        fig.add_trace(
            go.Scatter(
                x=[p.strength for p in members],
                y=[p.attractiveness for p in members],
                mode="markers",
                name=name,
                # plotly reads hover text as a little HTML: a client's name is escaped
                customdata=[[p.url, *(escape(h) for h in p.hover)] for p in members],
                hovertemplate=template,
                marker={
                    "size": [float(p.revenue) for p in members],
                    "sizemode": "area",
                    "sizeref": ref,
                    "sizemin": MIN_BUBBLE_PX / 2,
                    "color": colour,
                    "opacity": 0.75,
                    "line": {
                        "width": [2 if p.is_key else 0.5 for p in members],
                        "color": ["#1b1f24" if p.is_key else "#ffffff" for p in members],
                    },
                },
            )
        )
    _quadrants(fig, thresholds, labels)
    for p in points:
        if p.previous is None:
            continue
        name = "move-key" if p.is_key else "move-other"
        fig.add_annotation(
            name=name,
            x=p.strength,
            y=p.attractiveness,
            ax=p.previous[0],
            ay=p.previous[1],
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            text="",
            showarrow=True,
            arrowhead=2,
            arrowsize=1,
            arrowwidth=1.5,
            arrowcolor="#1b1f24" if p.is_key else "#6b7280",
            opacity=0.8,
            standoff=_radius(p.revenue, ref),
            visible=movement_visible(name, movement),
        )
    fig.update_layout(
        **{**BASE_LAYOUT, "height": 600, "margin": {"l": 64, "r": 24, "t": 24, "b": 56}},
        xaxis={"title": labels["x"], "range": [-4, 104], "zeroline": False, "dtick": 25},
        yaxis={"title": labels["y"], "range": [-4, 104], "zeroline": False, "dtick": 25},
        hovermode="closest",
        clickmode="event",
    )
    return dict(json.loads(fig.to_json()))


def _radius(revenue: Decimal, ref: float) -> float:
    """The bubble's radius in pixels, so that an arrow stops at its edge."""
    area = float(revenue) / ref if ref > 0 else 0.0
    return max(MIN_BUBBLE_PX / 2, math.sqrt(max(area, 0.0)) / 2)


def _quadrants(fig: go.Figure, t: Thresholds, labels: Mapping[str, str]) -> None:
    """The threshold lines and each quadrant's name in its outer corner."""
    line = {"color": "#555", "width": 1, "dash": "dash"}
    fig.add_shape(type="line", x0=t.strength, x1=t.strength, y0=0, y1=100, line=line)
    fig.add_shape(type="line", x0=0, x1=100, y0=t.attractiveness, y1=t.attractiveness, line=line)
    corners = (
        (Quadrant.STRATEGIC, 100, 100, "right", "top"),
        (Quadrant.STAR, 0, 100, "left", "top"),
        (Quadrant.STATUS, 100, 0, "right", "bottom"),
        (Quadrant.STREAMLINE, 0, 0, "left", "bottom"),
    )
    for q, x, y, xanchor, yanchor in corners:
        fig.add_annotation(
            name=f"quadrant-{q.value}",
            x=x,
            y=y,
            xref="x",
            yref="y",
            text=f"<b>{escape(labels[q.value])}</b>",
            showarrow=False,
            xanchor=xanchor,
            yanchor=yanchor,
            font={"color": QUADRANT_COLOURS[q], "size": 14},
            opacity=0.9,
        )
