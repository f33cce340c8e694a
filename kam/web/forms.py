from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.common.periods import Period


class PeriodForm(forms.Form):
    """A calendar year, or any date range [from, to)."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (exclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = [("", _("Custom range")), *((y, str(y)) for y in years)]
        self.years = years

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if data.get("year") is None and (start or end):
            if not (start and end):
                raise forms.ValidationError(_("Give both dates of the range."))
            if end <= start:
                raise forms.ValidationError(_("The range must end after it starts."))
        return data

    def period(self) -> Period:
        data = self.cleaned_data
        if data.get("year") is None and data.get("date_from") and data.get("date_to"):
            return Period(data["date_from"], data["date_to"])
        return Period.year(data.get("year") or self.years[0])
