"""Concentration of net revenue across clients (SPEC: binding definitions).

Method:
- Population: clients with net revenue > 0 in the period; the others are
  counted apart as ``non_positive``.
- Order: net revenue descending, ties by client id ascending (as text).
- ABC: A is the smallest head of the order whose cumulative revenue reaches
  the A threshold (80 %) of the population total, so the client that crosses
  the threshold is in A; B is the further smallest run reaching the B
  threshold (95 %); C is the rest.
- ``top_share(p)``: revenue of the first ceil(p x N) clients over the total.
- Gini: G = (2 * sum(i * x_i)) / (N * sum(x)) - (N + 1) / N, with x sorted
  ascending and i counted from 1 (0 = equal, towards 1 = concentrated).
- HHI: sum of (share x 100)^2, from 0 to 10,000.

Everything is exact Decimal arithmetic; rounding happens at the edge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal

AbcClass = Literal["A", "B", "C"]
DEFAULT_A = Decimal("0.80")
DEFAULT_B = Decimal("0.95")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class AbcRow:
    client_id: str
    revenue: Decimal
    cumulative: Decimal  # revenue of this client and every one before it
    total: Decimal  # revenue of the whole population
    abc_class: AbcClass

    # Shares are divided when read: most rows of a large population never are.
    @property
    def share(self) -> Decimal:
        return self.revenue / self.total

    @property
    def cumulative_share(self) -> Decimal:
        return self.cumulative / self.total


@dataclass(frozen=True, slots=True)
class ConcentrationResult:
    rows: tuple[AbcRow, ...]
    non_positive: int
    revenue: Decimal
    top20_share: Decimal
    gini: Decimal
    hhi: Decimal

    @property
    def clients(self) -> int:
        return len(self.rows)

    def class_counts(self) -> dict[AbcClass, int]:
        counts: dict[AbcClass, int] = {"A": 0, "B": 0, "C": 0}
        for row in self.rows:
            counts[row.abc_class] += 1
        return counts

    def class_revenues(self) -> dict[AbcClass, Decimal]:
        totals: dict[AbcClass, Decimal] = {"A": ZERO, "B": ZERO, "C": ZERO}
        for row in self.rows:
            totals[row.abc_class] += row.revenue
        return totals


def pareto_order(revenues: Mapping[str, Decimal]) -> list[tuple[str, Decimal]]:
    """The population (revenue > 0) in SPEC order: revenue desc, client id asc."""
    population = [(client, revenue) for client, revenue in revenues.items() if revenue > 0]
    population.sort(key=lambda item: item[0])
    population.sort(key=lambda item: item[1], reverse=True)
    return population


def abc_classify(
    revenues: Mapping[str, Decimal], *, a: Decimal = DEFAULT_A, b: Decimal = DEFAULT_B
) -> list[AbcRow]:
    """Smallest head reaching `a` is A, the next reaching `b` is B (SPEC: ABC)."""
    if not ZERO < a <= b <= 1:
        raise ValueError("ABC thresholds must satisfy 0 < a <= b <= 1")
    ordered = pareto_order(revenues)
    total = sum((revenue for _, revenue in ordered), ZERO)
    # A client belongs to the class whose threshold was not yet reached before it:
    # "share before < a" compared exactly, as "revenue before < a x total".
    with localcontext(prec=100):  # exact products (the default 28 digits could round)
        a_limit, b_limit = a * total, b * total
    rows: list[AbcRow] = []
    running = ZERO
    for client, revenue in ordered:
        abc_class: AbcClass = "A" if running < a_limit else "B" if running < b_limit else "C"
        running += revenue
        rows.append(AbcRow(client, revenue, running, total, abc_class))
    return rows


def top_share(revenues_desc: Sequence[Decimal], p: Decimal) -> Decimal:
    """Share of the top ceil(p x N) clients; `revenues_desc` is the ordered population."""
    n = len(revenues_desc)
    if n == 0:
        return ZERO
    head = math.ceil(p * n)
    total = sum(revenues_desc, ZERO)
    return sum(revenues_desc[:head], ZERO) / total


def gini(revenues: Iterable[Decimal]) -> Decimal:
    """Gini coefficient of positive revenues (0 = all equal)."""
    values = sorted(revenues)
    n = len(values)
    total = sum(values, ZERO)
    if n == 0 or total == 0:
        return ZERO
    weighted = sum((i * x for i, x in enumerate(values, start=1)), ZERO)
    return (2 * weighted) / (n * total) - Decimal(n + 1) / n


def hhi(revenues: Iterable[Decimal]) -> Decimal:
    """Herfindahl-Hirschman index of the shares, in points (0..10,000)."""
    values = list(revenues)
    total = sum(values, ZERO)
    if total == 0:
        return ZERO
    return sum(((x * 100 / total) ** 2 for x in values), ZERO)


def lorenz_points(revenues_desc: Sequence[Decimal]) -> list[tuple[Decimal, Decimal]]:
    """Pareto curve: (share of clients, cumulative share of revenue), from (0, 0)."""
    n = len(revenues_desc)
    total = sum(revenues_desc, ZERO)
    points = [(ZERO, ZERO)]
    running = ZERO
    for i, revenue in enumerate(revenues_desc, start=1):
        running += revenue
        points.append((Decimal(i) / n, running / total))
    return points


def concentration(
    revenues: Mapping[str, Decimal],
    *,
    a: Decimal = DEFAULT_A,
    b: Decimal = DEFAULT_B,
    top_p: Decimal = Decimal("0.20"),
) -> ConcentrationResult:
    """Every concentration figure of one period from per-client net revenue."""
    rows = abc_classify(revenues, a=a, b=b)
    desc = [row.revenue for row in rows]
    return ConcentrationResult(
        rows=tuple(rows),
        non_positive=sum(1 for revenue in revenues.values() if revenue <= 0),
        revenue=sum(desc, ZERO),
        top20_share=top_share(desc, top_p),
        gini=gini(desc),
        hhi=hhi(desc),
    )
