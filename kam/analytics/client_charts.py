"""The client page's figure, as plain Plotly JSON (cheaper than building a go.Figure)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from kam.analytics.charts import BASE_LAYOUT

_LAYOUT: dict[str, Any] = {
    **BASE_LAYOUT,
    "margin": {"l": 72, "r": 16, "t": 16, "b": 48},
    "height": 320,
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
