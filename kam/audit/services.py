"""Record changes to business records; every write service calls this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from kam.audit.models import AuditEvent


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes something, and through which interface."""

    user: Any  # a User, or None for the command line and the system
    interface: str  # AuditEvent.Interface
    label: str = ""

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return getattr(self.user, "username", "") or self.interface


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def audit_changes(
    *,
    actor: Actor,
    instance: models.Model,
    changes: Mapping[str, tuple[Any, Any]],
    action: str = AuditEvent.Action.UPDATE,
    client_id: int | None = None,
) -> int:
    """One event per field whose value really changed; returns how many were written."""
    events = [
        AuditEvent(
            actor=actor.user if getattr(actor.user, "pk", None) else None,
            actor_label=actor.name,
            interface=actor.interface,
            action=action,
            entity=instance._meta.label,
            entity_id=str(instance.pk),
            client_id=client_id,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
        )
        for field, (old, new) in changes.items()
        if _text(old) != _text(new) or action != AuditEvent.Action.UPDATE
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)


def audit_event(
    *, actor: Actor, action: str, entity: str, entity_id: str, detail: str = ""
) -> None:
    """A change that is not one field of one record (e.g. a ledger import)."""
    AuditEvent.objects.create(
        actor=actor.user if getattr(actor.user, "pk", None) else None,
        actor_label=actor.name,
        interface=actor.interface,
        action=action,
        entity=entity,
        entity_id=entity_id,
        new_value=detail,
    )


def apply_changes(instance: models.Model, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set `values` on `instance`; return only the fields whose value differs."""
    changes: dict[str, tuple[Any, Any]] = {}
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = (old, new)
            setattr(instance, field, new)
    return changes
