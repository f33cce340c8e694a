"""Half-open periods [start, end) (SPEC: periods)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kam.common.errors import DomainError


class PeriodError(DomainError):
    code = "invalid_period"


# The dates a ledger line may carry: an ERP's placeholder date (9999-12-31, 2999-12-31)
# or a mistyped year (0024) is refused at import rather than analysed as centuries.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
# The years a person may ask for (the forms, the API, `kam analyze --year`).
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True, slots=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PeriodError(f"a period must end after it starts ({self.start} .. {self.end})")

    @classmethod
    def year(cls, year: int, *, start_month: int = 1) -> Period:
        """The (fiscal) year that starts in `start_month` of `year`."""
        start = dt.date(year, start_month, 1)
        return cls(start, dt.date(year + 1, start_month, 1))

    @classmethod
    def containing(cls, day: dt.date, *, start_month: int = 1) -> Period:
        """The (fiscal) year that contains `day`."""
        year = day.year if day.month >= start_month else day.year - 1
        return cls.year(year, start_month=start_month)

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        """From ISO dates given by a person; `end` is exclusive."""
        try:
            return cls(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        except ValueError as error:
            raise PeriodError(f"dates must look like 2024-01-31: {error}") from None

    def previous(self) -> Period:
        """The equal period just before this one (same calendar shape for years)."""
        if self.is_year():
            return Period(self.start.replace(year=self.start.year - 1), self.start)
        return Period(self.start - (self.end - self.start), self.start)

    def is_year(self) -> bool:
        return self.start.day == 1 and self.end == self.start.replace(year=self.start.year + 1)

    @property
    def label(self) -> str:
        if self.is_year():
            if self.start.month == 1:
                return str(self.start.year)
            return f"{self.start.year}/{self.end.year % 100:02d}"
        return f"{self.start.isoformat()} – {(self.end - dt.timedelta(days=1)).isoformat()}"

    @property
    def key(self) -> str:
        """A stable token for URLs: `2024` or `2024-03-01_2024-06-01`."""
        if self.is_year() and self.start.month == 1:
            return str(self.start.year)
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @classmethod
    def from_key(cls, key: str, *, start_month: int = 1) -> Period:
        if key.isdigit() and len(key) == 4:
            return cls.year(int(key), start_month=start_month)
        start, sep, end = key.partition("_")
        if not sep:
            raise PeriodError(f"not a period: {key!r}")
        return cls.parse(start, end)
