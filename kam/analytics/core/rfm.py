"""RFM: recency, frequency and monetary value of each client in a period (SPEC: RFM).

Method:
- Population: the period's Pareto population (clients with net revenue > 0);
  every one of them has at least one invoice with a positive amount.
- Recency: days from the client's last purchase (the latest date of an invoice
  with a positive amount) to the period end, the end being the exclusive end
  date of the half-open period: a purchase on the period's last day is 1 day.
- Frequency: distinct invoices of the client with a positive amount.
- Monetary: net revenue (returns included).
- Scores 1..5 by quintile of rank: a value scores 1 + floor(5 × w / N), where
  N is the population size and w the number of values strictly worse than it
  (for recency larger is worse, for frequency and monetary smaller is worse).
  Tie rule: equal values have the same w, so they share a score, the score of
  the first position the tie occupies in the order worst-first. The worst
  value scores 1 and no score passes 5; with distinct values each score holds
  N/5 clients (± 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

QUINTILES = 5
Value = TypeVar("Value", int, Decimal)


@dataclass(frozen=True, slots=True)
class RfmInput:
    last_purchase_on: dt.date
    frequency: int
    monetary: Decimal


@dataclass(frozen=True, slots=True)
class RfmRow:
    client_id: str
    recency_days: int
    frequency: int
    monetary: Decimal
    r_score: int
    f_score: int
    m_score: int

    @property
    def code(self) -> str:
        """The usual three-digit label, e.g. "545"."""
        return f"{self.r_score}{self.f_score}{self.m_score}"


def quintile_scores(values: Sequence[Value], *, higher_is_better: bool = True) -> list[int]:
    """Score each value 1..5 by quintile of its rank; ties share a score (module docstring)."""
    n = len(values)
    if n == 0:
        return []
    # How many values are worse than each distinct value: those sorted before its
    # first place (higher is better), or after its last place. One pass over the
    # sorted values instead of a binary search per value.
    worse: dict[Value, int] = {}
    if higher_is_better:
        for i, value in enumerate(sorted(values)):
            worse.setdefault(value, i)
    else:
        for i, value in enumerate(sorted(values)):
            worse[value] = n - i - 1
    return [1 + QUINTILES * worse[value] // n for value in values]


def rfm_score(clients: Mapping[str, RfmInput], *, period_end: dt.date) -> list[RfmRow]:
    """RFM values and scores of the population (monetary > 0), in client id order."""
    population = sorted((c, v) for c, v in clients.items() if v.monetary > 0)
    recency = [(period_end - v.last_purchase_on).days for _, v in population]
    frequency = [v.frequency for _, v in population]
    monetary = [v.monetary for _, v in population]
    r = quintile_scores(recency, higher_is_better=False)
    f = quintile_scores(frequency)
    m = quintile_scores(monetary)
    return [
        RfmRow(client, recency[i], frequency[i], monetary[i], r[i], f[i], m[i])
        for i, (client, _) in enumerate(population)
    ]
