"""The reference prices are now exact decimals after a rounded market price.

Stored rows hold the old floating-point figures, which the refresh after an
import would keep for the clients and years it does not touch: marking the
snapshot as following no import makes the next refresh (at start-up, an
analysis or the next import) rebuild it whole.
"""

from typing import Any

from django.db import migrations


def snapshot_mark_stale(apps: Any, schema_editor: Any) -> None:
    apps.get_model("analytics", "SnapshotState").objects.update(ledger_import_id=-1)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0006_metric_index_with_client")]

    operations = [migrations.RunPython(snapshot_mark_stale, migrations.RunPython.noop)]
