"""Writes to clients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import Actor, apply_changes, audit_changes
from kam.clients.access import editable_clients
from kam.clients.models import Client
from kam.common.batches import chunks
from kam.common.errors import DomainError
from kam.people.models import Role

BATCH = 2000
EDITABLE = ("name", "country")
# Changed only by designation and manager assignment (kam.accounts.services), with history.
DESIGNATION_FIELDS = ("is_key_account", "tier", "manager")
MANAGER_ROLES = (Role.KEY_ACCOUNT_MANAGER, Role.DIRECTOR)


class ClientEditError(DomainError):
    code = "invalid_client"


class ClientEditNotAllowedError(DomainError):
    code = "forbidden"


def clients_upsert(*, rows: Iterable[tuple[str, str | None, str | None]]) -> tuple[int, int]:
    """Create or update clients from (id, name, country); returns (created, updated).

    The ledger's name and country are kept apart (`ledger_name`, `ledger_country`);
    `name` and `country` follow them only while no person has changed them, that is
    while they still equal what the ledger said before (see `_follows_ledger`).
    Plain executemany rather than the ORM's bulk methods: an import can bring
    100k clients, and this runs several times faster.
    """
    incoming = {
        cid: (name[:255] if name else None, country[:64] if country else None)
        for cid, name, country in rows
    }
    known = _known_clients(list(incoming))
    now = timezone.now()
    new = [
        (cid, name or cid, country or "", name, country, False, now, now)
        for cid, (name, country) in incoming.items()
        if cid not in known
    ]
    changed = []
    for cid, (name, country) in incoming.items():
        if cid not in known:
            continue
        old_name, old_country, ledger_name, ledger_country = known[cid]
        # A file that says nothing of a name or country (no such column, or empty
        # cells) leaves them as they are: the ledger has no new word on them.
        if name is None:
            name = ledger_name
        if country is None:
            country = ledger_country
        values = (
            name
            if name is not None and _follows_ledger(old_name, ledger_name, placeholder=cid)
            else old_name,
            country
            if country is not None and _follows_ledger(old_country, ledger_country, placeholder="")
            else old_country,
            name,
            country,
        )
        if values != (old_name, old_country, ledger_name, ledger_country):
            changed.append((*values, now, cid))
    table = Client._meta.db_table
    with connection.cursor() as cursor:
        for i in range(0, len(new), BATCH):
            cursor.executemany(
                f"INSERT INTO {table} (external_id, name, country, ledger_name, ledger_country, "
                "is_key_account, tier, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, '', %s, %s)",
                new[i : i + BATCH],
            )
        for i in range(0, len(changed), BATCH):
            cursor.executemany(
                f"UPDATE {table} SET name = %s, country = %s, ledger_name = %s, "
                "ledger_country = %s, updated_at = %s WHERE external_id = %s",
                changed[i : i + BATCH],
            )
    return len(new), len(changed)


def _known_clients(ids: list[str]) -> dict[str, tuple[str, str, str | None, str | None]]:
    """Name, country and the ledger's name and country of the stored clients among `ids`.

    A monthly file names a few thousand of 100k clients: those are looked up by id;
    when they are many, one pass over the table costs less.
    """
    columns = ("external_id", "name", "country", "ledger_name", "ledger_country")
    if len(ids) * 4 >= Client.objects.count():
        rows = Client.objects.values_list(*columns).iterator(BATCH)
        return {row[0]: row[1:] for row in rows}
    known: dict[str, tuple[str, str, str | None, str | None]] = {}
    for chunk in chunks(ids):
        found = Client.objects.filter(external_id__in=chunk).values_list(*columns)
        known.update((row[0], row[1:]) for row in found)
    return known


def _follows_ledger(value: str, ledger: str | None, *, placeholder: str) -> bool:
    """Whether an import may set this field: no person changed it since the ledger's last
    word (`ledger`), or, that word unknown (NULL), it still holds the `placeholder`."""
    return value == ledger if ledger is not None else value == placeholder


@transaction.atomic
def client_update(*, client: Client, values: Mapping[str, Any], actor: Actor) -> int:
    """Correct a client's name or country; returns the fields changed.

    Key-account status, tier and manager are not changed here: designation,
    revocation and manager assignment (kam.accounts.services) keep their
    history and tell the people concerned.
    """
    if not editable_clients(actor.user).filter(pk=client.pk).exists():
        raise ClientEditNotAllowedError(_("You may not change this client."))
    if set(DESIGNATION_FIELDS) & set(values):
        raise ClientEditError(
            _(
                "Key-account status and manager change by designation and manager "
                "assignment, which keep their history."
            )
        )
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ClientEditError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
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
