"""Headers are normalised and mapped to ledger fields; overrides win; conflicts are refused."""

from __future__ import annotations

import pytest

from kam.ledger.parsing import (
    ImportRefusedError,
    map_headers,
    normalise_header,
    parse_overrides,
)

ENGLISH_AND_ROMANIAN = [
    ("Invoice", "invoice"),
    ("InvoiceNo", "invoice"),
    ("Factura", "invoice"),
    ("Nr. factură", "invoice"),
    ("Customer ID", "client"),
    ("CustomerID", "client"),
    ("Client", "client"),
    ("Cod client", "client"),
    ("Quantity", "quantity"),
    ("Cantitate", "quantity"),
    ("Price", "unit_price"),
    ("UnitPrice", "unit_price"),
    ("Preț unitar", "unit_price"),
    ("Sales", "net_amount"),
    ("Valoare", "net_amount"),
    ("Profit", "profit"),
    ("Date", "date"),
    ("InvoiceDate", "date"),
    ("Data", "date"),
    ("StockCode", "product"),
    ("Cod articol", "product"),
]

# The other required fields, named with --map under neutral headers.
REST = {"invoice": "A", "date": "B", "product": "C", "net_amount": "D"}


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Nr. factură", "nrfactura"),
        ("Customer ID", "customerid"),
        ("  Preț unitar ", "pretunitar"),
        ("Preţ unitar", "pretunitar"),  # t with cedilla, as Windows-1250 writes it
        ("Cod_Client", "codclient"),
        ("ȘTEFAN-ÎNCĂ", "stefaninca"),
        ("Line #2", "line2"),
    ],
)
def test_a_header_is_lower_cased_stripped_of_diacritics_and_punctuation(
    header: str, normalised: str
) -> None:
    assert normalise_header(header) == normalised


@pytest.mark.parametrize(("header", "field"), ENGLISH_AND_ROMANIAN)
def test_english_and_romanian_headers_map_to_their_ledger_field(header: str, field: str) -> None:
    given = {f: h for f, h in REST.items() if f != field}
    mapping = map_headers([header, *given.values()], given=given, file_name="f.csv")
    assert mapping.fields[field] == header
    assert mapping.sources[field] == "detected"


def test_a_typical_romanian_export_is_mapped_whole() -> None:
    headers = ["Nr. factură", "Data", "Cod client", "Denumire client", "Cod articol"]
    headers += ["Denumire articol", "Cantitate", "Preț unitar", "Valoare", "Monedă"]
    mapping = map_headers(headers, file_name="export.csv")
    assert mapping.fields == {
        "invoice": "Nr. factură",
        "date": "Data",
        "client": "Cod client",
        "client_name": "Denumire client",
        "product": "Cod articol",
        "product_name": "Denumire articol",
        "quantity": "Cantitate",
        "unit_price": "Preț unitar",
        "net_amount": "Valoare",
        "currency": "Monedă",
    }


def test_unknown_headers_are_left_unmapped() -> None:
    mapping = map_headers(["Invoice", "Date", "SKU", "Sales", "Warehouse"], file_name="f.csv")
    assert "Warehouse" not in mapping.fields.values()
    assert set(mapping.fields) == {"invoice", "date", "product", "net_amount"}


def test_a_given_mapping_overrides_detection_and_frees_the_detected_header() -> None:
    headers = ["Invoice", "Date", "SKU", "Sales", "Account"]
    mapping = map_headers(headers, given={"client": "Account"}, file_name="f.csv")
    assert mapping.fields["client"] == "Account"
    assert mapping.sources["client"] == "given"
    moved = map_headers(headers, given={"net_amount": "Account"}, file_name="f.csv")
    assert moved.fields["net_amount"] == "Account"
    assert "Sales" not in moved.fields.values()


def test_a_given_mapping_wins_over_a_saved_one_which_wins_over_detection() -> None:
    headers = ["Invoice", "Date", "SKU", "Sales", "Partner", "Account"]
    mapping = map_headers(
        headers,
        given={"client": "Account"},
        saved={"client": "Partner", "net_amount": "Sales", "product": "Absent"},
        file_name="f.csv",
    )
    assert mapping.fields["client"] == "Account"
    assert mapping.sources == {
        "client": "given",
        "net_amount": "saved",
        "invoice": "detected",
        "date": "detected",
        "product": "detected",
    }


def test_two_headers_claiming_the_same_field_are_refused() -> None:
    with pytest.raises(ImportRefusedError) as refused:
        map_headers(["Invoice", "Date", "SKU", "Sales", "Client", "Customer ID"], file_name="f.csv")
    message = str(refused.value)
    assert "'Client'" in message and "'Customer ID'" in message
    assert "--map client=HEADER" in message


def test_a_repeated_header_is_refused_not_read_from_its_first_column() -> None:
    # The reader names the second "Client" column "Client (2)".
    with pytest.raises(ImportRefusedError) as refused:
        map_headers(["Invoice", "Date", "SKU", "Sales", "Client", "Client (2)"], file_name="f")
    assert "columns 'Client', 'Client (2)' could all be 'client'" in str(refused.value)
    settled = map_headers(
        ["Invoice", "Date", "SKU", "Sales", "Client", "Client (2)"],
        given={"client": "Client (2)"},
        file_name="f",
    )
    assert settled.fields["client"] == "Client (2)"


def test_headers_that_only_end_alike_are_not_repeats() -> None:
    headers = ["Invoice", "Date", "SKU", "Client (2023)", "Client (2024)", "Sales"]
    mapping = map_headers(headers, file_name="f")
    assert "client" not in mapping.fields  # neither is a repeat of a "Client" column


def test_the_same_field_mapped_to_two_headers_is_refused() -> None:
    with pytest.raises(ImportRefusedError) as refused:
        parse_overrides(["client=customer_id", "client=company_name"])
    assert str(refused.value) == (
        "--map client= is given twice ('customer_id' and 'company_name'): give one column per field"
    )
    assert parse_overrides(["client=A", "client=A"]) == {"client": "A"}


def test_two_claimants_are_settled_by_naming_one_with_map() -> None:
    headers = ["Invoice", "Date", "SKU", "Sales", "Client", "Customer ID"]
    mapping = map_headers(headers, given={"client": "Customer ID"}, file_name="f.csv")
    assert mapping.fields["client"] == "Customer ID"


def test_one_header_given_for_two_fields_is_refused() -> None:
    headers = ["Invoice", "Date", "SKU", "Sales", "Account"]
    with pytest.raises(ImportRefusedError, match="'Account' is mapped to both"):
        map_headers(headers, given={"client": "Account", "client_name": "Account"}, file_name="f")


def test_a_map_naming_a_missing_header_is_refused_with_the_columns_listed() -> None:
    with pytest.raises(ImportRefusedError) as refused:
        map_headers(["Invoice", "Date", "SKU", "Sales"], given={"client": "Cod"}, file_name="f.csv")
    message = str(refused.value)
    assert message.startswith("f.csv: --map client=Cod: the file has no column 'Cod'")
    assert "'Invoice', 'Date', 'SKU', 'Sales'" in message


def test_a_map_to_an_unknown_field_is_refused() -> None:
    with pytest.raises(ImportRefusedError, match="unknown ledger field"):
        parse_overrides(["customer=Client"])


@pytest.mark.parametrize("pair", ["client", "=Client", "client="])
def test_a_map_that_is_not_field_equals_header_is_refused(pair: str) -> None:
    with pytest.raises(ImportRefusedError, match="FIELD=HEADER"):
        parse_overrides([pair])


def test_a_map_keeps_the_header_exactly_including_spaces_and_equals_signs() -> None:
    assert parse_overrides(["client=Cod client", " date =Data=zi"]) == {
        "client": "Cod client",
        "date": "Data=zi",
    }


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        (["Date", "SKU", "Sales"], "invoice"),
        (["Invoice", "SKU", "Sales"], "date"),
        (["Invoice", "Date", "Sales"], "product"),
        (["Invoice", "Date", "SKU", "Quantity"], "net_amount (or quantity and unit_price)"),
    ],
)
def test_a_missing_required_column_is_named(headers: list[str], missing: str) -> None:
    with pytest.raises(ImportRefusedError) as refused:
        map_headers(headers, file_name="f.csv")
    assert f"missing required column(s): {missing}" in str(refused.value)


def test_quantity_and_unit_price_are_a_way_to_the_amount() -> None:
    mapping = map_headers(["Invoice", "Date", "SKU", "Qty", "Price"], file_name="f.csv")
    assert "net_amount" not in mapping.fields
    assert mapping.fields["quantity"] == "Qty" and mapping.fields["unit_price"] == "Price"
