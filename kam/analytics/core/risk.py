"""Dependency risk: when one client, or the top few, carry too much of the business.

SPEC part 1 asks to flag it. A risk is raised for revenue and, where cost is
known, for gross margin, when

- the largest client's share exceeds `client_share` (default 10 %), or
- the top `top_n` clients' share exceeds `top_share` (default 50 %).

Shares are over the period's Pareto population (clients with a positive
figure), ordered as the SPEC orders them: largest first, ties by client id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    client_share: float = 0.10
    top_n: int = 5
    top_share: float = 0.50

    def __post_init__(self) -> None:
        if not (0 < self.client_share <= 1 and 0 < self.top_share <= 1 and self.top_n >= 1):
            raise ValueError("risk shares lie in (0, 1] and the top is at least one client")


@dataclass(frozen=True, slots=True)
class Risk:
    measure: str  # "revenue" or "margin"
    kind: str  # "client" (one client) or "top" (the top n together)
    clients: tuple[str, ...]  # the client ids that carry it, largest first
    share: float
    limit: float


def dependency_risks(
    figures: Mapping[str, Decimal], *, measure: str, policy: RiskPolicy
) -> list[Risk]:
    """The risks in one measure (e.g. net revenue per client) under `policy`."""
    positive = sorted(((v, c) for c, v in figures.items() if v > 0), key=lambda vc: (-vc[0], vc[1]))
    total = sum((v for v, _ in positive), Decimal(0))
    if total <= 0:
        return []
    risks: list[Risk] = []
    largest, first = positive[0]
    share = float(largest / total)
    if share > policy.client_share:
        risks.append(Risk(measure, "client", (first,), share, policy.client_share))
    if len(positive) > policy.top_n:
        top = positive[: policy.top_n]
        top_share = float(sum((v for v, _ in top), Decimal(0)) / total)
        if top_share > policy.top_share:
            risks.append(
                Risk(measure, "top", tuple(c for _, c in top), top_share, policy.top_share)
            )
    return risks
