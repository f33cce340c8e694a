"""The dashboard's period follows the fiscal year start, as `kam analyze` does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.test import Client as HttpClient

from kam.common.periods import Period
from kam.ledger.store import Store
from kam.people.models import User
from kam.web.forms import PeriodForm
from kam.web.tests.conftest import PASSWORD


def _choices(form: PeriodForm) -> list[tuple[Any, Any]]:
    field = form.fields["year"]
    assert isinstance(field, forms.TypedChoiceField)
    choices: Any = field.choices
    return list(choices)


def test_with_a_calendar_year_the_choices_are_the_years_with_data(settings: Any) -> None:
    settings.KAM_FISCAL_YEAR_START = 1
    form = PeriodForm(years=[1998, 1997, 1996], latest=dt.date(1998, 5, 6))
    assert [c for c, _ in _choices(form)][1:] == [1998, 1997, 1996]
    assert form.default_period() == Period.year(1998)
    assert form.period() == Period.year(1998)


def test_a_fiscal_year_start_shapes_the_default_period_and_the_choices(settings: Any) -> None:
    settings.KAM_FISCAL_YEAR_START = 4
    form = PeriodForm(years=[1998, 1997, 1996], latest=dt.date(1998, 3, 6))
    choices = _choices(form)
    assert [c for c, _ in choices][1:] == [1997, 1996, 1995]  # 1998/99 holds no invoice yet
    assert [str(label) for _, label in choices][1:] == ["1997/98", "1996/97", "1995/96"]
    assert form.default_period() == Period(dt.date(1997, 4, 1), dt.date(1998, 4, 1))
    assert form.initial["year"] == 1997
    chosen = PeriodForm({"year": "1996"}, years=[1998, 1997, 1996], latest=dt.date(1998, 3, 6))
    assert chosen.is_valid(), chosen.errors
    assert chosen.period() == Period(dt.date(1996, 4, 1), dt.date(1997, 4, 1))


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_opens_on_the_latest_fiscal_year(
    director: User, northwind: Store, settings: Any
) -> None:
    settings.KAM_FISCAL_YEAR_START = 4
    client = HttpClient()
    assert client.login(username=director.username, password=PASSWORD)
    page = client.get("/").content.decode()
    assert "Period 1998/99" in page  # Northwind ends in May 1998
    assert '<option value="1998" selected>1998/99</option>' in page
