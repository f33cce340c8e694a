"""Plotly figures built in Python; the page renders them with the packaged plotly.js."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from kam.analytics.core.concentration import ConcentrationResult

MAX_POINTS = 600
BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
    "height": 360,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "legend": {"orientation": "h", "y": -0.2},
}
_CLASS_COLOURS = {"A": "#1f5f8b", "B": "#4f9bd1", "C": "#a9cbe8"}


def _thinned(n: int) -> list[int]:
    """The points of an n-client curve that keep its shape in MAX_POINTS (and the ends)."""
    if n + 1 <= MAX_POINTS:
        return list(range(n + 1))
    step = (n + 1) / MAX_POINTS
    return [*(int(i * step) for i in range(MAX_POINTS)), n]


@dataclass(frozen=True, slots=True)
class ParetoCurve:
    """What the Pareto chart draws, without its words: the thinned curve and the cut-offs."""

    points: tuple[tuple[Decimal, Decimal], ...]
    end_a: float  # share of clients, 0..100, where class A ends
    end_b: float


def pareto_curve(result: ConcentrationResult) -> ParetoCurve:
    points = result.lorenz(_thinned(result.clients))
    counts = result.class_counts()
    n = max(result.clients, 1)
    return ParetoCurve(tuple(points), counts["A"] / n * 100, (counts["A"] + counts["B"]) / n * 100)


def pareto_figure(result: ConcentrationResult, *, labels: dict[str, str]) -> dict[str, Any]:
    """Cumulative share of revenue against share of clients, with the ABC cut-offs."""
    return pareto_chart(pareto_curve(result), labels=labels)


def pareto_chart(curve: ParetoCurve, *, labels: dict[str, str]) -> dict[str, Any]:
    """`pareto_figure` from a curve computed before (the costly part, over every client)."""
    points = curve.points
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[float(x) * 100 for x, _ in points],
            y=[float(y) * 100 for _, y in points],
            mode="lines",
            name=labels["curve"],
            line={"color": "#1f5f8b", "width": 3},
            hovertemplate="%{x:.1f}% → %{y:.1f}%<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 100],
            y=[0, 100],
            mode="lines",
            name=labels["equality"],
            line={"color": "#999", "dash": "dot"},
            hoverinfo="skip",
        )
    )
    for cut, cls in ((curve.end_a, "A"), (curve.end_b, "B")):
        fig.add_vline(
            x=cut,
            line={"color": _CLASS_COLOURS[cls], "dash": "dash"},
            annotation_text=labels[f"end_{cls}"],
            annotation_position="bottom right",
        )
    fig.update_layout(
        **BASE_LAYOUT,
        xaxis={"title": labels["x"], "ticksuffix": "%", "range": [-1, 101]},
        yaxis={"title": labels["y"], "ticksuffix": "%", "range": [-1, 102]},
    )
    return dict(json.loads(fig.to_json()))


def trend_figure(
    years: Sequence[int], top20: Sequence[float], gini: Sequence[float], *, labels: dict[str, str]
) -> dict[str, Any]:
    """Top-20 % share and Gini across years."""
    fig = go.Figure()
    x = [str(y) for y in years]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[v * 100 for v in top20],
            name=labels["top20"],
            mode="lines+markers",
            line={"color": "#1f5f8b"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=list(gini),
            name=labels["gini"],
            mode="lines+markers",
            line={"color": "#c0692b"},
            yaxis="y2",
        )
    )
    fig.update_layout(
        **BASE_LAYOUT,
        xaxis={"type": "category"},
        yaxis={"ticksuffix": "%", "range": [0, 100]},
        # Gini is an index from 0 to 1, not a share: it gets its own axis
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1], "showgrid": False},
    )
    return dict(json.loads(fig.to_json()))
