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

Everything is exact: amounts are integers of a fixed number of decimal places
(``units``: micros for the ledger's money), so sums, products and threshold
comparisons never round; each ratio is one Decimal division at the edge.
Integers also keep 100k clients fast: the figures of a year take milliseconds,
and the per-client rows are built only when read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import cached_property
from itertools import accumulate
from operator import mul
from typing import Literal

AbcClass = Literal["A", "B", "C"]
DEFAULT_A = Decimal("0.80")
DEFAULT_B = Decimal("0.95")
DEFAULT_TOP = Decimal("0.20")
ZERO = Decimal(0)
_EXACT = Context(prec=100)  # scaling by powers of ten: exact for any amount of money


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


@dataclass(frozen=True)
class ConcentrationResult:
    """The figures of a period; ``rows`` (one per client) are built when first read."""

    order: tuple[str, ...]  # the population, in SPEC order
    units: tuple[int, ...]  # each one's net revenue, in 10**-places
    places: int
    a_count: int
    b_count: int
    non_positive: int
    revenue: Decimal
    top20_share: Decimal
    gini: Decimal
    hhi: Decimal

    @property
    def clients(self) -> int:
        return len(self.order)

    @cached_property
    def rows(self) -> tuple[AbcRow, ...]:
        return self.head(len(self.order))

    def head(self, n: int) -> tuple[AbcRow, ...]:
        """The first `n` rows, without building the others."""
        total = self.revenue
        places = self.places
        ends = (self.a_count, self.a_count + self.b_count)
        return tuple(
            AbcRow(
                client,
                from_units(amount, places),
                from_units(running, places),
                total,
                "A" if i < ends[0] else "B" if i < ends[1] else "C",
            )
            for i, (client, amount, running) in enumerate(
                zip(self.order[:n], self.units[:n], accumulate(self.units[:n]), strict=True)
            )
        )

    def revenues(self) -> dict[str, Decimal]:
        """Each client's net revenue, in order."""
        places = self.places
        return {c: from_units(u, places) for c, u in zip(self.order, self.units, strict=True)}

    def class_counts(self) -> dict[AbcClass, int]:
        return {
            "A": self.a_count,
            "B": self.b_count,
            "C": self.clients - self.a_count - self.b_count,
        }

    def class_revenues(self) -> dict[AbcClass, Decimal]:
        a, b = self.a_count, self.a_count + self.b_count
        units = self.units
        return {
            "A": from_units(sum(units[:a]), self.places),
            "B": from_units(sum(units[a:b]), self.places),
            "C": from_units(sum(units[b:]), self.places),
        }

    def lorenz(self, indexes: Iterable[int]) -> list[tuple[Decimal, Decimal]]:
        """Points of the Pareto curve after the first i clients, for each i of `indexes`."""
        return _lorenz(self.units, indexes)


def from_units(amount: int, places: int) -> Decimal:
    """An integer amount of 10**-places as a Decimal (exact up to 100 digits)."""
    return Decimal(amount).scaleb(-places, _EXACT)


def to_units(values: Iterable[Decimal | int]) -> tuple[list[int], int]:
    """Decimals as integers of one common number of decimal places, exactly."""
    decimals = [v if isinstance(v, Decimal) else Decimal(_whole(v)) for v in values]
    exponents = [d.as_tuple().exponent for d in decimals]
    if any(not isinstance(e, int) for e in exponents):
        raise ValueError("revenues must be finite numbers")
    places = max((-e for e in exponents if isinstance(e, int) and e < 0), default=0)
    return [int(d.scaleb(places, _EXACT)) for d in decimals], places


def pareto_order(revenues: Mapping[str, Decimal]) -> list[tuple[str, Decimal]]:
    """The population (revenue > 0) in SPEC order: revenue desc, client id asc."""
    return [(row.client_id, row.revenue) for row in concentration(revenues).rows]


def concentration_of_units(
    units: Mapping[str, int],
    *,
    places: int,
    a: Decimal = DEFAULT_A,
    b: Decimal = DEFAULT_B,
    top_p: Decimal = DEFAULT_TOP,
) -> ConcentrationResult:
    """Every concentration figure of one period from per-client net revenue in 10**-places."""
    if not all(isinstance(t, Decimal) for t in (a, b, top_p)):
        raise TypeError("thresholds are Decimals (a float is not exact)")
    if not ZERO < a <= b <= 1:
        raise ValueError("ABC thresholds must satisfy 0 < a <= b <= 1")
    by_client = sorted(client for client, amount in units.items() if amount > 0)
    by_client.sort(key=units.__getitem__, reverse=True)  # stable: ties stay by client id
    order, desc = tuple(by_client), tuple(map(units.__getitem__, by_client))
    total = _whole(sum(desc))
    # A client belongs to the class whose threshold was not yet reached before it:
    # "revenue before < a x total", compared in integers as "before < ceil(a x total)".
    before = [0, *accumulate(desc)][:-1]
    a_count = bisect_left(before, _ceil_times(a, total))
    ab_count = bisect_left(before, _ceil_times(b, total))
    return ConcentrationResult(
        order=order,
        units=desc,
        places=places,
        a_count=a_count,
        b_count=ab_count - a_count,
        non_positive=len(units) - len(order),
        revenue=from_units(total, places),
        top20_share=_top_share(desc, top_p),
        gini=_gini(desc),
        hhi=_hhi(desc),
    )


def concentration(
    revenues: Mapping[str, Decimal],
    *,
    a: Decimal = DEFAULT_A,
    b: Decimal = DEFAULT_B,
    top_p: Decimal = DEFAULT_TOP,
) -> ConcentrationResult:
    """Every concentration figure of one period from per-client net revenue."""
    units, places = to_units(revenues.values())
    return concentration_of_units(
        dict(zip(revenues, units, strict=True)), places=places, a=a, b=b, top_p=top_p
    )


def abc_classify(
    revenues: Mapping[str, Decimal], *, a: Decimal = DEFAULT_A, b: Decimal = DEFAULT_B
) -> list[AbcRow]:
    """Smallest head reaching `a` is A, the next reaching `b` is B (SPEC: ABC)."""
    return list(concentration(revenues, a=a, b=b).rows)


def top_share(revenues_desc: Sequence[Decimal], p: Decimal) -> Decimal:
    """Share of the top ceil(p x N) clients; `revenues_desc` is the ordered population."""
    return _top_share(to_units(revenues_desc)[0], p)


def gini(revenues: Iterable[Decimal]) -> Decimal:
    """Gini coefficient of positive revenues (0 = all equal)."""
    return _gini(sorted(to_units(revenues)[0], reverse=True))


def hhi(revenues: Iterable[Decimal]) -> Decimal:
    """Herfindahl-Hirschman index of the shares, in points (0..10,000)."""
    return _hhi(to_units(revenues)[0])


def lorenz_points(revenues_desc: Sequence[Decimal]) -> list[tuple[Decimal, Decimal]]:
    """Pareto curve: (share of clients, cumulative share of revenue), from (0, 0)."""
    return _lorenz(to_units(revenues_desc)[0], range(len(revenues_desc) + 1))


def _lorenz(desc: Sequence[int], indexes: Iterable[int]) -> list[tuple[Decimal, Decimal]]:
    cumulative = [0, *accumulate(desc)]
    n, total = len(desc), cumulative[-1]
    if n == 0:
        return [(ZERO, ZERO)]
    return [(Decimal(i) / n, Decimal(cumulative[i]) / total) for i in indexes]


def _whole(amount: object) -> int:
    if not isinstance(amount, int):
        raise TypeError(f"amounts are whole numbers of units, not {type(amount).__name__}")
    return amount


def _ceil_times(ratio: Decimal, amount: int) -> int:
    numerator, denominator = ratio.as_integer_ratio()
    return -(-numerator * amount // denominator)


def _top_share(desc: Sequence[int], p: Decimal) -> Decimal:
    n, total = len(desc), sum(desc)
    if n == 0 or total == 0:
        return ZERO
    return Decimal(sum(desc[: _ceil_times(p, n)])) / Decimal(total)


def _gini(desc: Sequence[int]) -> Decimal:
    n, total = len(desc), sum(desc)
    if n == 0 or total == 0:
        return ZERO
    # x sorted ascending with i from 1 is the descending order with i from n down to 1
    weighted = sum(map(mul, range(n, 0, -1), desc))
    return Decimal(2 * weighted) / Decimal(n * total) - Decimal(n + 1) / n


def _hhi(values: Sequence[int]) -> Decimal:
    total = sum(values)
    if total == 0:
        return ZERO
    # sum of (x x 100 / total)^2, with one division
    return Decimal(10_000 * sum(map(mul, values, values))) / Decimal(total * total)
