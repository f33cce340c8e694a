"""The client page's history reads in words: record and field names, choices, people."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from kam.accounts.services import account_team_add, key_account_designate, relationship_stage_record
from kam.audit.models import AuditEvent
from kam.audit.services import Actor, audit_changes
from kam.clients.models import Client
from kam.people.models import User
from kam.people.services import user_create
from kam.web.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(director: User) -> Client:
    """A key account with a team member, a relationship stage and a manager."""
    client = Client.objects.create(external_id="C00003", name="Acme SRL")
    ana = user_create(
        username="ana", password=PASSWORD, role="kam", first_name="Ana", last_name="Pop"
    )
    actor = Actor(director, AuditEvent.Interface.WEB)
    key_account_designate(actor=actor, client=client, tier="1", reason="Big", manager=ana)
    account_team_add(
        actor=actor, client=client, user=ana, function="rnd", role_on_account="Lab contact"
    )
    relationship_stage_record(
        actor=actor,
        client=client,
        stage="interdependent",
        noted_on=dt.date(2024, 3, 1),
        evidence="Joint roadmap",
    )
    return client


def _history(director: User, language: str = "en") -> str:
    http = HttpClient()
    assert http.login(username=director.username, password=PASSWORD)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = http.get("/clients/C00003/").content.decode()
    return html.unescape(page.split('<table class="history">')[1].split("</table>")[0])


def test_the_history_names_records_fields_choices_and_people_in_english(
    director: User, history: Client
) -> None:
    table = _history(director)
    for internal in ("accounts.RelationshipStage", "clients.AccountTeamMember", "noted_on"):
        assert internal not in table
    assert ">interdependent<" not in table and ">rnd<" not in table
    assert f">{User.objects.get(username='ana').pk}<" not in table  # no bare ids
    assert "Relationship stage <span" in table and "Account team member <span" in table
    assert ">Role on the account<" in table and ">Lab contact<" in table
    assert ">Interdependent<" in table and ">R&D<" in table and ">2024-03-01<" in table
    assert ">Ana Pop<" in table  # the team member and the manager, by name
    assert ">Key-account manager<" in table and ">Client <span" in table and ">Tier 1<" in table


def test_the_history_reads_in_romanian(director: User, history: Client) -> None:
    table = _history(director, "ro")
    assert "Etapa relației <span" in table and "Membru al echipei clientului <span" in table
    assert ">Rol în echipa clientului<" in table and ">Cercetare-dezvoltare<" in table
    assert ">Data<" in table and ">Ana Pop<" in table and ">Funcție<" in table
    assert ">modificat<" in table or ">creat<" in table


def test_a_hidden_money_value_stays_hidden_and_an_unknown_field_keeps_its_name(
    director: User,
) -> None:
    client = Client.objects.create(external_id="C00003", name="Acme SRL")
    marketing = user_create(username="mark", password=PASSWORD, role="marketing")
    actor = Actor(director, AuditEvent.Interface.WEB)
    audit_changes(
        actor=actor, instance=client, changes={"unit_cost": ("10", "12")}, client_id=client.pk
    )
    table = _history(director)
    assert ">Unit cost<" in table and ">12<" in table and "dana" in table
    table = _history(marketing)
    assert ">12<" not in table and "•••" in table
