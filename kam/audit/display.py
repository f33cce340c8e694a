"""How audit events read to a person: record and field names, values in words.

An event keeps what was stored: the model's label ("accounts.RelationshipStage"),
the field's name ("noted_on") and values as text (a choice's code, a related
record's id). Here they become the model's and the field's verbose names, a
choice's label, a related record's name and yes/no, in the active language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop

from kam.audit.models import AuditEvent

# Names Django derives from a class or an attribute ("relationship stage", "entered
# by") are not marked for translation where they are made; marked here so that
# makemessages keeps them, they are looked up when shown.
AUTOMATIC_NAMES = (
    gettext_noop("client"),
    gettext_noop("account team member"),
    gettext_noop("scoring model"),
    gettext_noop("partnership intent"),
    gettext_noop("position rating"),
    gettext_noop("wallet estimate"),
    gettext_noop("designation"),
    gettext_noop("manager assignment"),
    gettext_noop("relationship stage"),
    gettext_noop("account plan"),
    gettext_noop("objective"),
    gettext_noop("market note"),
    gettext_noop("stakeholder"),
    gettext_noop("purchasing step"),
    gettext_noop("competitor"),
    gettext_noop("competitor presence"),
    gettext_noop("competitor action"),
    gettext_noop("opportunity"),
    gettext_noop("negotiation entry"),
    gettext_noop("task"),
    gettext_noop("team"),
    gettext_noop("user"),
    gettext_noop("entered by"),
    gettext_noop("decided by"),
    gettext_noop("assigned by"),
    gettext_noop("created by"),
    gettext_noop("approved by"),
    gettext_noop("requested by"),
    gettext_noop("proposed from"),
    gettext_noop("owner"),
    gettext_noop("lead"),
    gettext_noop("parent"),
)
# Changes services record under a name that is no field of the model.
_PSEUDO_FIELDS = {"record": gettext_noop("record")}


@dataclass(frozen=True, slots=True)
class ReadableEvent:
    """One audit event as the history table shows it."""

    event: AuditEvent
    who: str  # the person's name, or the label kept when they are gone
    record: str  # "Relationship stage"
    field: str  # "Date"
    old_value: str
    new_value: str


def _words(name: Any) -> str:
    """A verbose name in the active language, derived ones included."""
    return str(name) if isinstance(name, Promise) else gettext(str(name))


def _model(entity: str) -> type[models.Model] | None:
    try:
        return apps.get_model(entity)
    except (LookupError, ValueError):  # an event about something that is no model
        return None


def _field(model: type[models.Model] | None, name: str) -> Any:
    if model is None or not name:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return None if field.auto_created and not field.concrete else field  # not a reverse relation


def record_name(entity: str) -> str:
    """The model's verbose name ("Relationship stage"); the stored label otherwise."""
    model = _model(entity)
    return capfirst(_words(model._meta.verbose_name)) if model else entity


def field_name(entity: str, name: str) -> str:
    """The field's verbose name ("Date"); the stored name, in words, otherwise."""
    field = _field(_model(entity), name)
    if field is not None:
        return capfirst(_words(field.verbose_name))
    if name in _PSEUDO_FIELDS:
        return capfirst(gettext(_PSEUDO_FIELDS[name]))
    return capfirst(name.replace("_", " "))


class _Names:
    """Names of related records, fetched once per model for a whole table."""

    def __init__(self) -> None:
        # (related model, the field the relation points at) -> the values wanted, and found
        self.wanted: dict[tuple[type[models.Model], str], set[Any]] = defaultdict(set)
        self.found: dict[tuple[type[models.Model], str, Any], str] = {}

    def want(self, field: Any, value: str) -> None:
        key = _key(field, value)
        if key is not None:
            self.wanted[(field.related_model, field.target_field.attname)].add(key)

    def fetch(self) -> None:
        for (model, target), keys in self.wanted.items():
            for record in model._base_manager.filter(**{f"{target}__in": keys}):
                self.found[(model, target, getattr(record, target))] = str(record)

    def name(self, field: Any, value: str, otherwise: str | None = None) -> str:
        """The related record's name; `otherwise` (the value itself) when it is gone."""
        found = (field.related_model, field.target_field.attname, _key(field, value))
        return self.found.get(found, value if otherwise is None else otherwise)


def _key(field: Any, value: str) -> Any:
    if not value or not (field.many_to_one or field.one_to_one):
        return None
    try:
        return field.target_field.to_python(value)
    except ValidationError:
        return None


def _value(field: Any, value: str, names: _Names) -> str:
    if field is None or value == "":
        return value
    if field.many_to_one or field.one_to_one:
        return names.name(field, value, gettext("#%(id)s (deleted)") % {"id": value})
    if field.flatchoices:
        labels = {str(code): label for code, label in field.flatchoices}
        return str(labels.get(value, value))
    if isinstance(field, models.BooleanField):
        return {"True": gettext("yes"), "False": gettext("no")}.get(value, value)
    if isinstance(field, models.DateTimeField):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{moment:%Y-%m-%d %H:%M}"
    return value


def readable_events(rows: Iterable[tuple[AuditEvent, str, str]]) -> list[ReadableEvent]:
    """(event, old value, new value) as a person reads them; one query per related model.

    The values are passed in rather than read from the event so that a caller
    may hide some (money for those who may not see it): a value that differs
    from the event's own is shown as given.
    """
    listed: Sequence[tuple[AuditEvent, str, str]] = list(rows)
    actor = AuditEvent._meta.get_field("actor")
    names = _Names()
    fields = [_field(_model(event.entity), event.field) for event, _old, _new in listed]
    for (event, _old, _new), field in zip(listed, fields, strict=True):
        if event.actor_id is not None:
            names.want(actor, str(event.actor_id))
        if field is not None:
            names.want(field, event.old_value)
            names.want(field, event.new_value)
    names.fetch()
    readable = []
    for (event, old, new), field in zip(listed, fields, strict=True):
        shown_old = _value(field, old, names) if old == event.old_value else old
        shown_new = _value(field, new, names) if new == event.new_value else new
        who = names.name(actor, str(event.actor_id or ""), event.actor_label)
        readable.append(
            ReadableEvent(
                event=event,
                who=who,
                record=record_name(event.entity),
                field=field_name(event.entity, event.field),
                old_value=shown_old,
                new_value=shown_new,
            )
        )
    return readable
