"""Score clients as key-account candidates on the source's criteria.

The criteria (SPEC part 2), each normalised to 0-100 where 100 is the most
attractive:

- **volume**: net revenue in the year; percentile rank in the population.
- **profitability**: the mean of the percentile ranks of gross margin (amount)
  and margin %, over the lines whose cost is known; missing when no cost is
  known. A big client at a thin margin and a small one at a rich margin both
  score in the middle.
- **growth**: (revenue − previous year's revenue) ÷ previous year's revenue;
  percentile rank; missing when the previous year is ≤ 0 (SPEC: undefined).
- **price sensitivity**: the average discount the client gets against a
  reference price, weighted by what it buys: 1 − paid ÷ reference, where a
  line's reference is its list price when the ledger has one, else the
  product's quantity-weighted average price that year over every client who
  bought it (only products at least two clients bought). A client that takes
  more discount than others is more price-sensitive, so the score is
  100 − its percentile rank. Missing when none of its lines has a reference.
  Why this method: it needs only what every ERP export has (product,
  quantity, amount), it compares like with like (the same product, the same
  year), and list prices, where present, make it exact. The alternative —
  price elasticity of volume across periods — needs several price changes per
  client and product, which most ledgers do not have.
- **partnership**: the latest 1-5 rating of the client's wish for a long-term
  partnership that a person entered on or before the year's end;
  (rating − 1) × 25. An absolute scale: a person's judgement is not ranked.
- **potential**: estimated wallet minus our revenue (never below zero), from
  the wallet estimates; percentile rank; missing without an estimate.

Percentile rank: 100 × (values strictly below + half the other equal values)
÷ (n − 1) over the clients that have the criterion; one client alone gets 50.
It is monotone in the raw value, bounded, and not dominated by one giant
client as a min-max scale would be.

The score is the weighted mean of the criteria a client has:
Σ wᵢ·sᵢ ÷ Σ wᵢ over the available criteria, with the weights normalised to sum
to one. A missing criterion is never read as zero: it is listed, and the
coverage (the share of the weight that was available) says how much of the
model the score rests on.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

CRITERIA: tuple[str, ...] = (
    "volume",
    "profitability",
    "growth",
    "price_sensitivity",
    "partnership",
    "potential",
)

K = TypeVar("K", bound=Hashable)


class WeightsError(ValueError):
    pass


def weights_normalise(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights for every criterion, summing to one; unknown or negative ones refused."""
    unknown = set(weights) - set(CRITERIA)
    if unknown:
        raise WeightsError(f"unknown criteria: {', '.join(sorted(unknown))}")
    values = {c: float(weights.get(c, 0.0)) for c in CRITERIA}
    if any(not math.isfinite(v) or v < 0 for v in values.values()):
        raise WeightsError("weights are finite numbers of zero or more")
    total = sum(values.values())
    if total <= 0:
        raise WeightsError("at least one weight is above zero")
    return {c: v / total for c, v in values.items()}


EQUAL_WEIGHTS: dict[str, float] = weights_normalise(dict.fromkeys(CRITERIA, 1.0))


def percentile_ranks(values: Mapping[K, float | None]) -> dict[K, float | None]:
    """Each value's percentile rank (0-100) among the present values; None stays None."""
    present = sorted(((v, k) for k, v in values.items() if v is not None), key=lambda vk: vk[0])
    result: dict[K, float | None] = dict.fromkeys(values)
    n = len(present)
    if n == 1:
        result[present[0][1]] = 50.0
        return result
    i = 0
    while i < n:
        j = i
        while j + 1 < n and present[j + 1][0] == present[i][0]:
            j += 1
        rank = 100.0 * (i + (j - i) / 2) / (n - 1)  # i below, (j - i) other equal values
        for _, key in present[i : j + 1]:
            result[key] = rank
        i = j + 1
    return result


@dataclass(frozen=True, slots=True)
class RawCriteria:
    """One client's raw inputs for one year; None where unknown."""

    revenue: Decimal
    previous_revenue: Decimal | None
    margin: Decimal | None  # gross margin over the costed lines
    margin_percent: float | None
    discount: float | None  # 1 − paid ÷ reference
    partnership: int | None  # 1-5
    potential: Decimal | None


def growth_of(revenue: Decimal, previous: Decimal | None) -> float | None:
    """SPEC: (revenue − previous) ÷ previous; undefined when the previous is ≤ 0."""
    if previous is None or previous <= 0:
        return None
    return float((revenue - previous) / previous)


def partnership_score(rating: int | None) -> float | None:
    if rating is None:
        return None
    if not 1 <= rating <= 5:
        raise ValueError("a partnership rating is 1 to 5")
    return (rating - 1) * 25.0


def normalise(raw: Mapping[K, RawCriteria]) -> dict[K, dict[str, float | None]]:
    """Each client's criteria on 0-100 (100 = most attractive), over the whole population."""
    volume = percentile_ranks({k: float(r.revenue) for k, r in raw.items()})
    margin = percentile_ranks(
        {k: None if r.margin is None else float(r.margin) for k, r in raw.items()}
    )
    margin_pct = percentile_ranks({k: r.margin_percent for k, r in raw.items()})
    growth = percentile_ranks({k: growth_of(r.revenue, r.previous_revenue) for k, r in raw.items()})
    discount = percentile_ranks({k: r.discount for k, r in raw.items()})
    potential = percentile_ranks(
        {k: None if r.potential is None else float(r.potential) for k, r in raw.items()}
    )
    result: dict[K, dict[str, float | None]] = {}
    for k, r in raw.items():
        m, mp, d = margin[k], margin_pct[k], discount[k]
        result[k] = {
            "volume": volume[k],
            "profitability": None if m is None or mp is None else (m + mp) / 2,
            "growth": growth[k],
            "price_sensitivity": None if d is None else 100.0 - d,
            "partnership": partnership_score(r.partnership),
            "potential": potential[k],
        }
    return result


@dataclass(frozen=True, slots=True)
class Score:
    total: float | None  # None when no criterion is available
    contributions: dict[str, float]  # points each available criterion adds to the total
    missing: tuple[str, ...]
    coverage: float  # share of the model's weight that was available, 0-1


def score(criteria: Mapping[str, float | None], weights: Mapping[str, float]) -> Score:
    """The weighted mean of the available criteria, and what each contributed."""
    return _score(criteria, weights_normalise(weights))


def scores(
    criteria: Mapping[K, Mapping[str, float | None]], weights: Mapping[str, float]
) -> dict[K, Score]:
    """`score` of every client, the weights normalised once."""
    w = weights_normalise(weights)
    return {k: _score(c, w) for k, c in criteria.items()}


def _score(criteria: Mapping[str, float | None], w: Mapping[str, float]) -> Score:
    available = {c: v for c, v in criteria.items() if c in w and v is not None and w[c] > 0}
    missing = tuple(c for c in CRITERIA if w[c] > 0 and criteria.get(c) is None)
    weight = sum(w[c] for c in available)
    if weight <= 0:
        return Score(None, {}, missing, 0.0)
    contributions = {c: w[c] * v / weight for c, v in available.items()}
    total = min(100.0, max(0.0, sum(contributions.values())))
    return Score(total, contributions, missing, min(1.0, weight))
