"""White space: the categories an account does not buy, and which to offer it next.

Method — accounts that buy alike (user-based nearest neighbours):

- An account is the set of product categories it bought (with positive net
  revenue in the learning window). What it buys, not how much: measured on
  held-out history, revenue-weighted vectors did worse than sets (a large
  account's main category drowns the rest of its range).
- Similarity of two accounts is the cosine of their sets,
  |A ∩ B| ÷ √(|A|·|B|) (0 = nothing in common, 1 = the same range).
- For an account, its `neighbours` most similar accounts (similarity > 0) vote
  for each category the account does not buy: a category's strength is the sum
  of the similarities of the neighbours that buy it, divided by the sum of all
  neighbours' similarities (0-1: 1 = every similar account buys it).
- Each recommendation names the similar accounts that buy the category and how
  similar they are, so a manager can judge it.

The baseline it must beat is popularity: offer the categories most accounts
buy, that this account does not. `evaluate` measures both on held-out history:
learn from the years before an account's last year, and check whether the
categories it started buying in that last year were recommended.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

A = TypeVar("A", bound=Hashable)

Basket = Mapping[str, float]  # category -> revenue (> 0) in the learning window


@dataclass(frozen=True, slots=True)
class Recommendation:
    category: str
    strength: float  # 0-1
    because: tuple[tuple[str, float], ...]  # (similar account, similarity), most similar first


def _unit(basket: Basket) -> dict[str, float]:
    bought = [c for c, v in basket.items() if v > 0]
    return dict.fromkeys(bought, 1 / math.sqrt(len(bought))) if bought else {}


def similarity(a: Basket, b: Basket) -> float:
    """Cosine similarity of the category sets two accounts bought."""
    ua, ub = _unit(a), _unit(b)
    if len(ub) < len(ua):
        ua, ub = ub, ua
    return sum(v * ub.get(c, 0.0) for c, v in ua.items())


def recommend(
    account: A,
    baskets: Mapping[A, Basket],
    *,
    neighbours: int = 10,
    top: int = 3,
) -> list[Recommendation]:
    """The categories to offer `account` next, strongest first (ties by name)."""
    own = baskets.get(account, {})
    bought = {c for c, v in own.items() if v > 0}
    if not bought:
        return []
    unit = {a: _unit(b) for a, b in baskets.items()}
    mine = unit[account]
    scored = []
    for other, vector in unit.items():
        if other == account or not vector:
            continue
        sim = sum(v * vector.get(c, 0.0) for c, v in mine.items())
        if sim > 0:
            scored.append((sim, str(other), other))
    scored.sort(key=lambda s: (-s[0], s[1]))
    near = scored[:neighbours]
    total = sum(s for s, _, _ in near)
    if total <= 0:
        return []
    votes: dict[str, list[tuple[str, float]]] = {}
    for sim, label, other in near:
        for category in unit[other]:
            if category not in bought:
                votes.setdefault(category, []).append((label, sim))
    ranked = sorted(
        (
            Recommendation(c, sum(s for _, s in voters) / total, tuple(voters))
            for c, voters in votes.items()
        ),
        key=lambda r: (-r.strength, r.category),
    )
    return ranked[:top]


def popular(account: A, baskets: Mapping[A, Basket], *, top: int = 3) -> list[str]:
    """The baseline: the categories most accounts buy, that `account` does not."""
    bought = {c for c, v in baskets.get(account, {}).items() if v > 0}
    counts: dict[str, int] = {}
    for other, basket in baskets.items():
        if other == account:
            continue
        for c, v in basket.items():
            if v > 0:
                counts[c] = counts.get(c, 0) + 1
    ranked = sorted((c for c in counts if c not in bought), key=lambda c: (-counts[c], c))
    return ranked[:top]


@dataclass(frozen=True, slots=True)
class Evaluation:
    accounts: int  # accounts that started buying at least one new category in the test year
    k: int
    hit_rate: float  # share of those accounts with a new category among the top k
    precision: float  # share of the top-k recommendations that were bought
    baseline_hit_rate: float
    baseline_precision: float


def evaluate(
    history: Mapping[A, Mapping[int, Basket]],
    *,
    test_year: int,
    k: int = 3,
    neighbours: int = 10,
) -> Evaluation:
    """Hide `test_year`, learn from the years before it, score both methods.

    An account counts when it bought before `test_year` and started buying at
    least one category in `test_year` that it had never bought before.
    """
    learn: dict[A, dict[str, float]] = {}
    for account, years in history.items():
        basket: dict[str, float] = {}
        for year, categories in years.items():
            if year < test_year:
                for c, v in categories.items():
                    basket[c] = basket.get(c, 0.0) + float(v)
        if any(v > 0 for v in basket.values()):
            learn[account] = basket
    counted = hits = base_hits = 0
    shown = right = base_shown = base_right = 0
    for account, basket in learn.items():
        before = {c for c, v in basket.items() if v > 0}
        later = history[account].get(test_year, {})
        new = {c for c, v in later.items() if v > 0} - before
        if not new:
            continue
        counted += 1
        ours = [r.category for r in recommend(account, learn, neighbours=neighbours, top=k)]
        base = popular(account, learn, top=k)
        hits += bool(new & set(ours))
        base_hits += bool(new & set(base))
        shown, right = shown + len(ours), right + len(new & set(ours))
        base_shown, base_right = base_shown + len(base), base_right + len(new & set(base))
    return Evaluation(
        accounts=counted,
        k=k,
        hit_rate=hits / counted if counted else 0.0,
        precision=right / shown if shown else 0.0,
        baseline_hit_rate=base_hits / counted if counted else 0.0,
        baseline_precision=base_right / base_shown if base_shown else 0.0,
    )
