"""The key-account portfolio matrix: customer attractiveness against our strength.

The four quadrants follow the KAM literature's portfolio (McDonald & Rogers):

| | our strength high | our strength low |
|---|---|---|
| **attractiveness high** | strategic: invest, deepen the partnership | star: invest to win share |
| **attractiveness low** | status: maintain, serve efficiently | streamline: serve at low cost |

Attractiveness is the client's score (kam.analytics.core.scoring). Our
relative strength with the client, 0-100, is the mean of what is known of:
share of wallet (0-100 %, capped at 100) and the 1-5 rating of our position
against competitors, (rating − 1) × 25. A value on a threshold counts as high.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Quadrant(enum.StrEnum):
    STRATEGIC = "strategic"
    STAR = "star"
    STATUS = "status"
    STREAMLINE = "streamline"


@dataclass(frozen=True, slots=True)
class Thresholds:
    attractiveness: float = 50.0
    strength: float = 50.0

    def __post_init__(self) -> None:
        for value in (self.attractiveness, self.strength):
            if not 0 <= value <= 100:
                raise ValueError("quadrant thresholds lie between 0 and 100")


def strength_of(share_of_wallet: float | None, position_rating: int | None) -> float | None:
    """Our relative strength 0-100 from what is known; None when nothing is."""
    parts: list[float] = []
    if share_of_wallet is not None:
        parts.append(min(100.0, max(0.0, share_of_wallet * 100)))
    if position_rating is not None:
        if not 1 <= position_rating <= 5:
            raise ValueError("a position rating is 1 to 5")
        parts.append((position_rating - 1) * 25.0)
    return sum(parts) / len(parts) if parts else None


def quadrant_of(attractiveness: float, strength: float, thresholds: Thresholds) -> Quadrant:
    high_a = attractiveness >= thresholds.attractiveness
    high_s = strength >= thresholds.strength
    if high_a:
        return Quadrant.STRATEGIC if high_s else Quadrant.STAR
    return Quadrant.STATUS if high_s else Quadrant.STREAMLINE
