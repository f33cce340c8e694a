"""White-space recommendations: explained, and better than popularity on held-out history."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kam.analytics.core.whitespace import evaluate, popular, recommend, similarity

BASKETS = {
    "builder-1": {"adhesives": 5.0, "insulation": 3.0, "paint": 1.0},
    "builder-2": {"adhesives": 2.0, "insulation": 4.0, "paint": 2.0, "tools": 1.0},
    "builder-3": {"adhesives": 1.0, "insulation": 1.0, "tools": 3.0},
    "plumber-1": {"sanitary": 9.0, "fittings": 2.0},
    "plumber-2": {"sanitary": 3.0, "fittings": 1.0, "tools": 1.0},
    "new": {"adhesives": 1.0, "insulation": 1.0},
}


def test_similarity_is_the_cosine_of_the_bought_sets() -> None:
    assert similarity(BASKETS["builder-1"], BASKETS["builder-1"]) == pytest.approx(1.0)
    assert similarity(BASKETS["builder-1"], BASKETS["plumber-1"]) == 0.0
    # {a, i, p} and {a, i}: 2 / sqrt(3 * 2)
    assert similarity(BASKETS["builder-1"], BASKETS["new"]) == pytest.approx(2 / 6**0.5)
    assert similarity({"a": 0.0}, {"a": 1.0}) == 0.0  # nothing bought, nothing shared


def test_recommendations_come_from_similar_accounts_and_say_which() -> None:
    recs = recommend("new", BASKETS, neighbours=3, top=3)
    categories = [r.category for r in recs]
    assert categories[:2] == ["paint", "tools"] or categories[:2] == ["tools", "paint"]
    assert "sanitary" not in categories  # no similar account buys it
    assert all(c not in BASKETS["new"] for c in categories)  # never what it already buys
    tools = next(r for r in recs if r.category == "tools")
    assert {name for name, _ in tools.because} == {"builder-2", "builder-3"}
    assert 0 < tools.strength <= 1
    assert tools.because == tuple(sorted(tools.because, key=lambda b: -b[1]))


def test_an_account_that_buys_nothing_gets_nothing_and_popularity_skips_what_it_buys() -> None:
    assert recommend("ghost", {**BASKETS, "ghost": {}}) == []
    # tools: 3 accounts; then fittings, paint, sanitary tie at 2, by name
    assert popular("new", BASKETS, top=2) == ["tools", "fittings"]


def _history(column: str, data_dir: Path) -> dict[str, dict[int, dict[str, float]]]:
    relation = duckdb.sql(
        f"SELECT customer_id, year(order_date), {column}, sum(line_net_amount) "
        f"FROM read_csv_auto('{data_dir / 'northwind_order_lines.csv.gz'}') GROUP BY ALL"
    )
    assert relation is not None
    rows = relation.fetchall()
    history: dict[str, dict[int, dict[str, float]]] = {}
    for client, year, item, amount in rows:
        history.setdefault(client, {}).setdefault(year, {})[item] = float(amount)
    return history


def test_on_held_out_history_it_beats_popularity(data_dir: Path) -> None:
    """Northwind: learn 1996-1997, hide 1998 (figures reported in docs/methods.md)."""
    products = _history("product_name", data_dir)
    at3 = evaluate(products, test_year=1998, k=3)
    assert at3.accounts == 77
    assert at3.hit_rate == pytest.approx(34 / 77)
    assert at3.baseline_hit_rate == pytest.approx(25 / 77)
    assert at3.hit_rate > at3.baseline_hit_rate and at3.precision > at3.baseline_precision
    at5 = evaluate(products, test_year=1998, k=5)
    assert at5.hit_rate > at5.baseline_hit_rate
    categories = evaluate(_history("category_name", data_dir), test_year=1998, k=3)
    # Eight categories only: most accounts already buy most of them, both methods find them.
    assert categories.hit_rate >= categories.baseline_hit_rate
