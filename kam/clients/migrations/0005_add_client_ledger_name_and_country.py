from typing import Any

from django.db import migrations, models
from django.db.models import F


def ledger_values_from_current(apps: Any, schema_editor: Any) -> None:
    """Existing clients follow the ledger from now on, unless a person has changed the
    field (an audited update): those keep NULL, which an import leaves alone."""
    Client = apps.get_model("clients", "Client")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for field in ("name", "country"):
        edited = AuditEvent.objects.filter(
            entity="clients.Client", action="update", field=field
        ).values_list("entity_id", flat=True)
        ids = {int(i) for i in edited if str(i).isdigit()}
        Client.objects.exclude(pk__in=ids).update(**{f"ledger_{field}": F(field)})


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_add_client_tier"),
        ("audit", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="ledger_country",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="client",
            name="ledger_name",
            field=models.CharField(blank=True, editable=False, max_length=255, null=True),
        ),
        migrations.RunPython(ledger_values_from_current, migrations.RunPython.noop),
    ]
