"""Every reason a row can be refused for reads in Romanian on the pages; the job keeps English."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client as WebClient
from django.utils import translation

from kam.ledger.parsing import FIELDS, ColumnMapping
from kam.ledger.readers import _REJECT_REASONS
from kam.ledger.reasons import reason_in_words
from kam.ledger.services import ledger_import
from kam.ledger.staging import _problem_checks
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import write_text
from kam.people.models import Role, User

AMBIGUOUS = (
    "cannot tell the decimal separator of this column (1,234 may be 1.234 or 1234): "
    "choose it (Decimal separator on the import page, --decimal comma|point on the "
    "command line)"
)


def _mapping(fields: list[str]) -> ColumnMapping:
    return ColumnMapping(fields={f: f for f in fields}, sources=dict.fromkeys(fields, "given"))


def _every_reason() -> list[str]:
    every = [f for f in FIELDS if f not in ("unit_cost", "profit")]
    without_net = [f for f in every if f != "net_amount"]
    net_only = [f for f in every if f not in ("quantity", "unit_price")]
    reasons = {
        reason
        for fields in (every, without_net, net_only)
        for forced in (None, "comma", "point")
        for *_, reason in _problem_checks(_mapping(fields), "%d.%m.%Y", "EUR", forced)
    }
    return sorted(
        reasons | set(_REJECT_REASONS.values()) | {AMBIGUOUS, "line 2 of invoice F7 repeats"}
    )


@pytest.mark.parametrize("reason", _every_reason())
def test_every_reason_has_romanian_words_and_keeps_its_details(reason: str) -> None:
    with translation.override("ro"):
        words = reason_in_words(reason)
    assert words != reason
    for detail in ("DD.MM.YYYY", "EUR", "F7", "1900-01-01", "2099-12-31", "1.234,56"):
        if detail in reason:
            assert detail in words


@pytest.mark.parametrize("reason", [r for r in _every_reason() if r != AMBIGUOUS])
def test_in_english_a_reason_reads_as_the_job_keeps_it(reason: str) -> None:
    with translation.override("en"):
        assert reason_in_words(reason) == reason


def test_an_unknown_reason_is_shown_as_it_is() -> None:
    with translation.override("ro"):
        assert reason_in_words("something new") == "something new"


@pytest.mark.django_db(transaction=True)
def test_the_job_page_and_its_csv_give_the_reasons_in_the_reader_s_language(
    store: Store, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "s.csv", "invoice,date,product,net_amount\nF1,2024-01-05,P1,lots\n"
    )
    report = ledger_import(store=store, paths=[path])
    assert [p.reason for p in report.problems] == ["not a number"]  # the job keeps English
    director = User.objects.create_user("dana", password="x" * 16, role=Role.DIRECTOR)
    web = WebClient()
    web.force_login(director)
    web.cookies["django_language"] = "ro"
    page = web.get(f"/imports/jobs/{report.job_id}/").content.decode()
    csv_text = web.get(f"/imports/jobs/{report.job_id}/problems.csv").content.decode()
    with translation.override("ro"):
        words = reason_in_words("not a number")
    assert words != "not a number"
    assert words in page and words in csv_text
