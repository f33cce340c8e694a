"""Writes to clients."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from kam.clients.models import Client

BATCH = 2000


def clients_upsert(*, rows: Iterable[tuple[str, str | None, str | None]]) -> tuple[int, int]:
    """Create or update clients from (id, name, country); returns (created, updated)."""
    incoming = {cid: ((name or cid)[:255], (country or "")[:64]) for cid, name, country in rows}
    ids = list(incoming)
    existing: dict[str, Client] = {}
    for i in range(0, len(ids), BATCH):  # SQLite caps the number of bound variables
        for client in Client.objects.filter(external_id__in=ids[i : i + BATCH]):
            existing[client.external_id] = client
    now = timezone.now()
    new = [
        Client(external_id=cid, name=name, country=country)
        for cid, (name, country) in incoming.items()
        if cid not in existing
    ]
    changed = []
    for cid, client in existing.items():
        if (client.name, client.country) != incoming[cid]:
            client.name, client.country = incoming[cid]
            client.updated_at = now
            changed.append(client)
    Client.objects.bulk_create(new, batch_size=BATCH)
    Client.objects.bulk_update(changed, ["name", "country", "updated_at"], batch_size=BATCH)
    return len(new), len(changed)
