"""An import sets a client's name and country only where no person has changed them."""

from __future__ import annotations

import pytest

from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import Client
from kam.clients.services import client_update, clients_upsert
from kam.people.services import user_create


def _client(external_id: str) -> tuple[str, str]:
    client = Client.objects.get(external_id=external_id)
    return client.name, client.country


@pytest.mark.django_db
def test_a_name_and_country_corrected_by_hand_survive_the_next_import() -> None:
    director = user_create(username="dana", password="correct-horse-battery-9", role="director")
    clients_upsert(rows=[("C1", "ALPHA SRL", "MD"), ("C2", "Beta SA", "RO")])
    client_update(
        client=Client.objects.get(external_id="C1"),
        values={"name": "Alpha SRL", "country": "RO"},
        actor=Actor(user=director, interface=AuditEvent.Interface.WEB),
    )
    assert clients_upsert(rows=[("C1", "ALPHA S.R.L.", "MD"), ("C2", "Beta S.A.", "MD")]) == (0, 2)
    assert _client("C1") == ("Alpha SRL", "RO")  # the person's correction stays
    assert _client("C2") == ("Beta S.A.", "MD")  # untouched by people: follows the ledger
    c1 = Client.objects.get(external_id="C1")
    assert (c1.ledger_name, c1.ledger_country) == ("ALPHA S.R.L.", "MD")


@pytest.mark.django_db
def test_only_the_field_a_person_changed_is_kept() -> None:
    clients_upsert(rows=[("C1", "Alpha", "MD")])
    Client.objects.filter(external_id="C1").update(country="RO")
    clients_upsert(rows=[("C1", "Alpha Group", "UA")])
    assert _client("C1") == ("Alpha Group", "RO")


@pytest.mark.django_db
def test_a_client_added_without_a_ledger_name_takes_the_ledgers_name() -> None:
    Client.objects.create(external_id="C7", name="C7")  # added before its name was known
    clients_upsert(rows=[("C7", "Gamma SRL", "MD")])
    assert _client("C7") == ("Gamma SRL", "MD")


@pytest.mark.django_db
def test_an_unchanged_ledger_writes_nothing() -> None:
    clients_upsert(rows=[("C1", "Alpha", "MD")])
    assert clients_upsert(rows=[("C1", "Alpha", "MD")]) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("others", [0, 6000])
def test_a_few_clients_among_many_are_matched_by_id(others: int) -> None:
    """With thousands of stored clients, a smaller file's clients are looked up by id
    (in chunks): the outcome is the same as with a pass over the whole table."""
    clients_upsert(rows=[(f"X{i:05}", f"Other {i}", "DE") for i in range(others)])
    clients_upsert(rows=[("C1", "Alpha", "MD"), ("C2", "Beta", "RO")])
    Client.objects.filter(external_id="C2").update(name="Beta (by hand)")
    rows = [("C1", "Alpha Group", "UA"), ("C2", "Beta SA", "RO"), ("C3", "Gamma", "MD")]
    renamed = [(f"X{i:05}", f"Other {i} Ltd", "DE") for i in range(0, others, 5)]  # 2 chunks
    assert clients_upsert(rows=rows + renamed) == (1, 2 + len(renamed))
    assert _client("C1") == ("Alpha Group", "UA")
    assert _client("C2") == ("Beta (by hand)", "RO")  # the person's name stays
    assert _client("C3") == ("Gamma", "MD")
    assert all(_client(cid) == (name, "DE") for cid, name, _ in renamed[-3:])
    assert Client.objects.count() == others + 3
