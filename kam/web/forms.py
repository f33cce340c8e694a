from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kam.common.periods import Period


class PeriodForm(forms.Form):
    """A (fiscal) year, or any date range [from, to).

    Years follow `KAM_FISCAL_YEAR_START` as `kam analyze` does: a choice is the
    year a fiscal year starts in, labelled like `2024/25` when it does not start
    in January, and the default is the fiscal year holding the latest invoice.
    """

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (exclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, years: list[int], latest: dt.date | None = None, **kwargs: Any
    ) -> None:
        """`years`: calendar years with ledger lines, newest first; `latest`: the last
        invoice date (looked up when the fiscal year does not start in January)."""
        super().__init__(*args, **kwargs)
        self.start_month = settings.KAM_FISCAL_YEAR_START
        self.years = _fiscal_years(years, self.start_month, latest)
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = [("", _("Custom range")), *((y, self._label(y)) for y in self.years)]
        if self.years:
            self.initial["year"] = self.years[0]

    def _label(self, year: int) -> str:
        return Period.year(year, start_month=self.start_month).label

    def clean(self) -> dict[str, Any]:
        """A year or a range, never both (as `kam analyze` refuses `--year` with `--from`).

        A date that is not a date has its own error; the range is judged only
        when both of its dates could be read.
        """
        data = super().clean() or {}
        if self.has_error("date_from") or self.has_error("date_to"):
            return data
        start, end = data.get("date_from"), data.get("date_to")
        if not (start or end):
            return data
        if data.get("year") is not None:
            raise forms.ValidationError(
                _("Choose either a year or a date range, not both."), code="year_and_range"
            )
        if not (start and end):
            raise forms.ValidationError(_("Give both dates of the range."), code="half_range")
        if end <= start:
            raise forms.ValidationError(
                _("The range must end after it starts."), code="empty_range"
            )
        return data

    def default_period(self) -> Period:
        """The latest (fiscal) year with invoices."""
        return Period.year(self.years[0], start_month=self.start_month)

    def period(self) -> Period:
        """The period asked for; the default one when nothing (valid) was asked."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("year") is None and data.get("date_from") and data.get("date_to"):
            return Period(data["date_from"], data["date_to"])
        if data.get("year") is None:
            return self.default_period()
        return Period.year(data["year"], start_month=self.start_month)


def _fiscal_years(years: list[int], start_month: int, latest: dt.date | None) -> list[int]:
    """The fiscal years (by the year they start in) that hold the calendar `years`,
    newest first, the newest being the one that holds the latest invoice."""
    if start_month == 1 or not years:
        return list(years)
    if latest is None:
        latest = _latest_invoice_day()
    found = {y for c in years for y in (c - 1, c)}
    if latest is not None:
        newest = Period.containing(latest, start_month=start_month).start.year
        found = {y for y in found if y <= newest}
    return sorted(found, reverse=True)


def _latest_invoice_day() -> dt.date | None:
    from django.db.models import Max

    from kam.analytics.models import ClientYearMetric

    day: dt.date | None = ClientYearMetric.objects.aggregate(m=Max("last_invoiced_on"))["m"]
    return day
