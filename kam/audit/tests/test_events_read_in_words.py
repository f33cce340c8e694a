"""Audit events as a person reads them: names in the interface language, values in words."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from pytest_django import DjangoAssertNumQueries

from kam.audit.display import AUTOMATIC_NAMES, readable_events
from kam.audit.models import AuditEvent
from kam.audit.services import Actor, audit_changes, audit_event
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import Role, User

pytestmark = pytest.mark.django_db

AUDITING_APPS = ("clients", "accounts", "planning", "people")
NEVER_AUDITED = {
    "accounts.Notification",
    "planning.AccountMonth",
    "planning.AccountMonthState",
    "people.SignInThrottle",
}
SAME_IN_ROMANIAN = {"client"}


def _derived_names() -> set[str]:
    """Model names and relation field names Django derives, of the models changes touch."""
    names = set()
    for label in AUDITING_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label in NEVER_AUDITED:
                continue
            if not isinstance(model._meta.verbose_name, Promise):
                names.add(str(model._meta.verbose_name))
            for field in model._meta.concrete_fields:
                if field.is_relation and not isinstance(field.verbose_name, Promise):
                    names.add(str(field.verbose_name))
    return names


def test_every_derived_name_a_change_can_show_is_marked_for_translation() -> None:
    assert _derived_names() <= set(AUTOMATIC_NAMES)


def test_every_derived_name_has_its_romanian() -> None:
    with translation.override("ro"):
        untranslated = {n for n in AUTOMATIC_NAMES if gettext(n) == n} - SAME_IN_ROMANIAN
    assert untranslated == set()


def test_related_records_are_named_with_one_query_per_model(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    dana = User.objects.create(username="dana", first_name="Dana", last_name="Ionescu")
    ana = User.objects.create(username="ana", first_name="Ana", last_name="Pop", role=Role.ANALYST)
    client = Client.objects.create(external_id="C1", name="Acme")
    member = AccountTeamMember.objects.create(client=client, user=ana, function="sales")
    actor = Actor(dana, AuditEvent.Interface.WEB)
    audit_changes(
        actor=actor,
        instance=member,
        changes={"user": (dana, ana), "function": ("rnd", "sales")},
        client_id=client.pk,
    )
    audit_event(actor=actor, action=AuditEvent.Action.IMPORT, entity="ledger", entity_id="7")
    events = list(AuditEvent.objects.order_by("id"))
    with django_assert_num_queries(1):  # the people, once
        rows = readable_events((e, e.old_value, e.new_value) for e in events)
    user, function, ledger = rows
    assert (user.who, user.record, user.field) == ("Dana Ionescu", "Account team member", "User")
    assert (user.old_value, user.new_value) == ("Dana Ionescu", "Ana Pop")
    assert (function.field, function.old_value, function.new_value) == ("Function", "R&D", "Sales")
    assert (ledger.record, ledger.field, ledger.new_value) == ("ledger", "", "")


def test_a_value_the_caller_hides_is_shown_as_given() -> None:
    client = Client.objects.create(external_id="C1", name="Acme")
    actor = Actor(None, AuditEvent.Interface.CLI, label="script")
    audit_changes(
        actor=actor, instance=client, changes={"is_key_account": (False, True)}, client_id=1
    )
    event = AuditEvent.objects.get()
    (shown,) = readable_events([(event, "•••", event.new_value)])
    assert (shown.who, shown.field, shown.old_value, shown.new_value) == (
        "script",
        "Key account",
        "•••",
        "yes",
    )


def test_a_related_record_that_is_gone_is_said_to_be_deleted() -> None:
    client = Client.objects.create(external_id="C1", name="Acme")
    gone = User.objects.create(username="gone", first_name="Old", last_name="Hand")
    member = AccountTeamMember.objects.create(client=client, user=gone, function="sales")
    audit_changes(
        actor=Actor(None, AuditEvent.Interface.CLI, label="script"),
        instance=member,
        changes={"user": (gone, None)},
        client_id=client.pk,
    )
    gone_id = gone.pk
    member.delete()
    gone.delete()
    (shown,) = readable_events((e, e.old_value, e.new_value) for e in AuditEvent.objects.all())
    assert shown.old_value == f"#{gone_id} (deleted)"
    with translation.override("ro"):
        (shown,) = readable_events((e, e.old_value, e.new_value) for e in AuditEvent.objects.all())
    assert shown.old_value == f"#{gone_id} (șters)"
