"""Forms of the import pages: the upload and the column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.ledger.parsing import FIELDS, ImportRefusedError, map_headers

FIELD_LABELS: dict[str, Any] = {
    "invoice": gettext_lazy("Invoice number"),
    "line": gettext_lazy("Line number"),
    "date": gettext_lazy("Invoice date"),
    "client": gettext_lazy("Client ID"),
    "client_name": gettext_lazy("Client name"),
    "product": gettext_lazy("Product ID"),
    "product_name": gettext_lazy("Product name"),
    "category": gettext_lazy("Product category"),
    "quantity": gettext_lazy("Quantity"),
    "unit_price": gettext_lazy("Unit price"),
    "net_amount": gettext_lazy("Net amount"),
    "cost": gettext_lazy("Cost of the line"),
    "unit_cost": gettext_lazy("Unit cost"),
    "profit": gettext_lazy("Profit"),
    "list_price": gettext_lazy("List price"),
    "currency": gettext_lazy("Currency"),
    "country": gettext_lazy("Country"),
    "sales_rep": gettext_lazy("Sales rep"),
}
REQUIRED = ("invoice", "date", "product")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Ledger file"),
        help_text=gettext_lazy("CSV, TSV, XLSX or Parquet, optionally gzipped."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx,.parquet,.gz"}),
    )


class MappingForm(forms.Form):
    """One select per ledger field, listing the file's headers, preselected by detection."""

    decimal = forms.ChoiceField(
        label=gettext_lazy("Decimal separator"),
        required=False,
        choices=[
            ("", gettext_lazy("Detect it")),
            ("point", gettext_lazy("Point (1234.56)")),
            ("comma", gettext_lazy("Comma (1234,56)")),
        ],
    )
    save_as = forms.CharField(
        label=gettext_lazy("Save this mapping as"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Optional: a name to reuse it for the next exports of your ERP."),
    )

    def __init__(
        self, *args: Any, headers: list[str], chosen: dict[str, str], file_name: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers, self.file_name = headers, file_name
        choices = [("", _("— not in the file —")), *((h, h) for h in headers)]
        for field in FIELDS:
            self.fields[f"map_{field}"] = forms.ChoiceField(
                label=FIELD_LABELS[field],
                choices=choices,
                required=False,
                initial=chosen.get(field, ""),
            )

    def field_rows(self) -> list[tuple[str, forms.BoundField, bool]]:
        """(field name, its select, whether it is required) in the ledger's order."""
        return [(f, self[f"map_{f}"], f in REQUIRED) for f in FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = {f: data[f"map_{f}"] for f in FIELDS if data.get(f"map_{f}")}
        self._check_required(given)
        self._check_once(given)
        if not self.errors:
            self._check_rules(given)
        data["given"] = given
        return data

    def _check_required(self, given: dict[str, str]) -> None:
        missing = [str(FIELD_LABELS[f]) for f in REQUIRED if f not in given]
        if "net_amount" not in given and not {"quantity", "unit_price"} <= set(given):
            missing.append(
                _("%(net)s (or %(qty)s and %(price)s)")
                % {
                    "net": FIELD_LABELS["net_amount"],
                    "qty": FIELD_LABELS["quantity"],
                    "price": FIELD_LABELS["unit_price"],
                }
            )
        if missing:
            self.add_error(
                None, _("Choose a column for: %(fields)s.") % {"fields": ", ".join(missing)}
            )

    def _check_once(self, given: dict[str, str]) -> None:
        seen: dict[str, str] = {}
        for field, header in given.items():
            if header in seen:
                self.add_error(
                    f"map_{field}",
                    _("The column %(header)s is already chosen for %(other)s.")
                    % {"header": header, "other": FIELD_LABELS[seen[header]]},
                )
            seen.setdefault(header, field)

    def _check_rules(self, given: dict[str, str]) -> None:
        """The import's own rules; a recognised column left out would be used anyway."""
        try:
            mapping = map_headers(self.headers, given=given, file_name=self.file_name)
        except ImportRefusedError as error:
            self.add_error(None, str(error))
            return
        for field, header in mapping.fields.items():
            if field not in given:
                self.add_error(
                    f"map_{field}",
                    _(
                        "The column %(header)s is recognised as this field and will be used; "
                        "choose it here, or rename it in the file to leave it out."
                    )
                    % {"header": header},
                )
