"""Every change is recorded once, per field, and the trail cannot be altered."""

from __future__ import annotations

import pytest

from kam.audit.models import AuditEvent, AuditTrailIsAppendOnlyError
from kam.audit.services import Actor, apply_changes, audit_changes
from kam.clients.models import Client
from kam.people.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor() -> Actor:
    return Actor(user=User.objects.create(username="dana", role=Role.DIRECTOR), interface="web")


def test_a_change_records_who_when_field_old_and_new(actor: Actor) -> None:
    client = Client.objects.create(external_id="X", name="Old SRL")
    changes = apply_changes(client, {"name": "New SRL", "country": ""})
    client.save()
    assert audit_changes(actor=actor, instance=client, changes=changes, client_id=client.pk) == 1
    event = AuditEvent.objects.get()
    assert (event.actor_label, event.interface, event.entity, event.field) == (
        "dana",
        "web",
        "clients.Client",
        "name",
    )
    assert (event.old_value, event.new_value) == ("Old SRL", "New SRL")
    assert event.client_id == client.pk and event.at is not None


def test_a_save_that_changes_nothing_records_nothing(actor: Actor) -> None:
    client = Client.objects.create(external_id="X", name="Same")
    changes = apply_changes(client, {"name": "Same"})
    assert changes == {}
    assert audit_changes(actor=actor, instance=client, changes=changes) == 0
    assert not AuditEvent.objects.exists()


def test_the_trail_cannot_be_changed_or_deleted(actor: Actor) -> None:
    client = Client.objects.create(external_id="X", name="A")
    audit_changes(actor=actor, instance=client, changes={"name": ("A", "B")})
    event = AuditEvent.objects.get()
    event.new_value = "forged"
    with pytest.raises(AuditTrailIsAppendOnlyError):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnlyError):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnlyError):
        AuditEvent.objects.all().update(new_value="forged")
    with pytest.raises(AuditTrailIsAppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().new_value == "B"
