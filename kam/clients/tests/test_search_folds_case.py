"""A search finds a client whatever the case of its letters, Romanian ones included."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q

from kam.clients.models import Client

# PostgreSQL folds case as its collation says (the test server runs with the C locale,
# which folds ASCII only); what is asserted here is KAM's own folding on SQLite.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="KAM folds case itself on SQLite only"
)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["ștefan", "ȘTEFAN", "Ștefan", "ștEfan", "ÎNTREPRINDERE"])
def test_a_search_folds_the_case_of_non_ascii_letters(text: str) -> None:
    Client.objects.create(external_id="C1", name="Ștefan Întreprindere SRL")
    Client.objects.create(external_id="C2", name="Stefan Trade")
    found = Client.objects.filter(Q(name__icontains=text) | Q(external_id__icontains=text))
    assert [c.external_id for c in found] == ["C1"]


@pytest.mark.django_db
def test_like_wildcards_in_a_search_are_taken_literally() -> None:
    Client.objects.create(external_id="C1", name="50% Off_Țară")
    Client.objects.create(external_id="C2", name="500 Offers Țară")
    found = Client.objects.filter(name__icontains="0% off_ț").values_list("external_id", flat=True)
    assert list(found) == ["C1"]
    assert Client.objects.filter(name__icontains="_ț").count() == 1
    assert Client.objects.filter(name__icontains="stefan").count() == 0  # ș is not s


@pytest.mark.django_db
def test_the_clients_list_search_finds_a_lower_case_romanian_name() -> None:
    from kam.analytics.client_selectors import ClientFilters, client_rows
    from kam.people.services import user_create

    director = user_create(username="dana", password="correct-horse-battery-9", role="director")
    Client.objects.create(external_id="C1", name="Ștefan Întreprindere SRL")
    Client.objects.create(external_id="C2", name="Stefan Trade")
    rows = client_rows(user=director, filters=ClientFilters(search="ștefan"))
    assert [r["external_id"] for r in rows] == ["C1"]
