"""An import sets a client's name and country only where no person has changed them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import Client
from kam.clients.services import client_update, clients_upsert
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
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


@pytest.mark.django_db
def test_a_file_without_names_or_countries_keeps_the_clients_own() -> None:
    """An export with no name or country column (or empty cells) says nothing of them:
    the names and countries the clients have stay, and a new client takes its id."""
    clients_upsert(rows=[("C1", "Alpha SRL", "RO"), ("C2", "Beta SA", "MD")])
    assert clients_upsert(rows=[("C1", None, None), ("C2", "", ""), ("C3", None, None)]) == (1, 0)
    assert _client("C1") == ("Alpha SRL", "RO")
    assert _client("C2") == ("Beta SA", "MD")
    assert _client("C3") == ("C3", "")
    clients_upsert(rows=[("C3", "Gamma", "UA"), ("C1", None, "MD")])  # later, the words come
    assert _client("C3") == ("Gamma", "UA")
    assert _client("C1") == ("Alpha SRL", "MD")


@pytest.mark.django_db(transaction=True)
def test_an_import_without_a_name_column_keeps_the_names(store: Store, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text(
        "invoice,date,client,client_name,country,product,quantity,unit_price\n"
        "F1,2024-01-02,C1,Alpha SRL,RO,P1,1,10\n",
        encoding="utf-8",
    )
    second = tmp_path / "b.csv"
    second.write_text(
        "invoice,date,client,product,quantity,unit_price\nF2,2024-02-02,C1,P1,1,10\n",
        encoding="utf-8",
    )
    assert ledger_import(store=store, paths=[first]).ok
    assert ledger_import(store=store, paths=[second]).ok
    assert _client("C1") == ("Alpha SRL", "RO")
