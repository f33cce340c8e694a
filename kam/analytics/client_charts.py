"""The client page's figure, as plain Plotly JSON (cheaper than building a go.Figure)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

_LAYOUT: dict[str, Any] = {
    "margin": {"l": 72, "r": 16, "t": 16, "b": 48},
    "height": 320,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "legend": {"orientation": "h", "y": -0.2},
    "barmode": "group",
    "xaxis": {"type": "category"},
    "yaxis": {"rangemode": "tozero", "separatethousands": True},
}


def client_years_figure(
    years: Sequence[int],
    revenue: Sequence[Decimal],
    margin: Sequence[Decimal | None] | None,
    *,
    labels: dict[str, str],
) -> dict[str, Any]:
    """Net revenue by year, with the gross margin beside it when it may be shown."""
    x = [str(y) for y in years]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": x,
            "y": [round(float(v), 2) for v in revenue],
            "name": labels["revenue"],
            "marker": {"color": "#1f5f8b"},
        }
    ]
    if margin is not None:
        data.append(
            {
                "type": "bar",
                "x": x,
                "y": [None if v is None else round(float(v), 2) for v in margin],
                "name": labels["margin"],
                "marker": {"color": "#c0692b"},
            }
        )
    return {"data": data, "layout": _LAYOUT}
