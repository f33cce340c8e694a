"""Writes to clients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import Actor, apply_changes, audit_changes
from kam.clients.access import ALL_CHANGING, editable_clients
from kam.clients.models import Client
from kam.common.errors import DomainError
from kam.people.models import Role, User

BATCH = 2000
EDITABLE = ("name", "country", "is_key_account", "manager")
MANAGER_ROLES = (Role.KEY_ACCOUNT_MANAGER, Role.DIRECTOR)


class ClientEditError(DomainError):
    code = "invalid_client"


class ClientEditNotAllowedError(DomainError):
    code = "forbidden"


def clients_upsert(*, rows: Iterable[tuple[str, str | None, str | None]]) -> tuple[int, int]:
    """Create or update clients from (id, name, country); returns (created, updated).

    Plain executemany rather than the ORM's bulk methods: an import can bring
    100k clients, and this runs several times faster.
    """
    incoming = {cid: ((name or cid)[:255], (country or "")[:64]) for cid, name, country in rows}
    known = {
        cid: (name, country)
        for cid, name, country in Client.objects.values_list(
            "external_id", "name", "country"
        ).iterator(BATCH)
    }
    now = timezone.now()
    new = [
        (cid, name, country, False, now, now)
        for cid, (name, country) in incoming.items()
        if cid not in known
    ]
    changed = [
        (name, country, now, cid)
        for cid, (name, country) in incoming.items()
        if cid in known and known[cid] != (name, country)
    ]
    table = Client._meta.db_table
    with connection.cursor() as cursor:
        for i in range(0, len(new), BATCH):
            cursor.executemany(
                f"INSERT INTO {table} (external_id, name, country, is_key_account, tier, "
                "created_at, updated_at) VALUES (%s, %s, %s, %s, '', %s, %s)",
                new[i : i + BATCH],
            )
        for i in range(0, len(changed), BATCH):
            cursor.executemany(
                f"UPDATE {table} SET name = %s, country = %s, updated_at = %s "
                "WHERE external_id = %s",
                changed[i : i + BATCH],
            )
    return len(new), len(changed)


@transaction.atomic
def client_update(*, client: Client, values: Mapping[str, Any], actor: Actor) -> int:
    """Change a client's name, country, key-account status or manager; returns fields changed.

    Designating a key account and assigning its manager is the director's call
    (SPEC parts 2 and 3); a key-account manager may correct name and country.
    """
    if not editable_clients(actor.user).filter(pk=client.pk).exists():
        raise ClientEditNotAllowedError(_("You may not change this client."))
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ClientEditError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    designating = {"is_key_account", "manager"} & set(values)
    if designating and getattr(actor.user, "role", None) not in ALL_CHANGING:
        raise ClientEditNotAllowedError(
            _("Only a director designates key accounts and assigns their managers.")
        )
    _client_values_check(values)
    changes = apply_changes(client, values)
    if not changes:
        return 0
    client.save()
    return audit_changes(actor=actor, instance=client, changes=changes, client_id=client.pk)


def _client_values_check(values: Mapping[str, Any]) -> None:
    name = values.get("name")
    if "name" in values and (not isinstance(name, str) or not name.strip() or len(name) > 255):
        raise ClientEditError(_("A client's name has 1 to 255 characters."))
    if "country" in values and len(values["country"] or "") > 64:
        raise ClientEditError(_("A country has at most 64 characters."))
    manager = values.get("manager")
    if manager is not None and (
        not isinstance(manager, User) or not manager.is_active or manager.role not in MANAGER_ROLES
    ):
        raise ClientEditError(_("A client's manager is an active key-account manager or director."))
