"""Parsing rules of a ledger file: fields, header mapping, number and date styles.

Pure: no I/O, no Django. The import pipeline asks these rules what to do and
then runs the work in the engine.

Header mapping: a header is normalised (lower case, diacritics removed, only
letters and digits kept) and matched exactly against the aliases of each
canonical field (SPEC: ledger line). Explicit `--map FIELD=HEADER` overrides
win over a saved mapping, which wins over detection. Two headers claiming the
same field is an error the user must settle with `--map`.

Decimal separator, per numeric column, from counts over every value:
- no commas: the point is the decimal separator (commas absent);
- values holding both separators: the later one is the decimal separator, the
  other must then only group thousands;
- only commas: a comma is decimal unless every comma value is a clean
  thousands grouping (1,234 or 12,345,678), which is ambiguous and refused;
- both appear, never in the same value: whichever only ever groups thousands
  is the grouping one; if neither does, the column is inconsistent, and if
  both do (`1.000` beside `1,000`), it is ambiguous and refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kam.common.errors import DomainError


class ImportRefusedError(DomainError):
    """A file cannot be imported as it is; nothing was changed."""

    code = "import_refused"


FIELDS: tuple[str, ...] = (
    "invoice",
    "line",
    "date",
    "client",
    "client_name",
    "product",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "net_amount",
    "cost",
    "unit_cost",
    "profit",
    "list_price",
    "currency",
    "country",
    "sales_rep",
)
NUMERIC_FIELDS = (
    "quantity",
    "unit_price",
    "net_amount",
    "cost",
    "unit_cost",
    "profit",
    "list_price",
)
REQUIRED_VALUES = ("invoice", "date", "product")

ALIASES: Mapping[str, tuple[str, ...]] = {
    "invoice": (
        "invoice",
        "invoiceno",
        "invoicenumber",
        "invoiceid",
        "invoicenr",
        "orderid",
        "orderno",
        "ordernumber",
        "documentno",
        "documentnumber",
        "factura",
        "nrfactura",
        "numarfactura",
        "nrfact",
        "nrdocument",
        "numardocument",
        "document",
    ),
    "line": ("line", "lineno", "linenumber", "lineid", "position", "linie", "nrlinie", "pozitie"),
    "date": (
        "date",
        "invoicedate",
        "orderdate",
        "documentdate",
        "data",
        "datafactura",
        "datadocument",
        "datafacturii",
    ),
    "client": (
        "client",
        "clientid",
        "clientcode",
        "customer",
        "customerid",
        "customerno",
        "customercode",
        "customernumber",
        "codclient",
        "idclient",
        "codpartener",
    ),
    "client_name": (
        "clientname",
        "customername",
        "companyname",
        "company",
        "numeclient",
        "denumireclient",
        "denumirepartener",
        "partener",
    ),
    "product": (
        "product",
        "productid",
        "productcode",
        "stockcode",
        "sku",
        "itemcode",
        "itemid",
        "item",
        "article",
        "codarticol",
        "codprodus",
        "articol",
        "produs",
    ),
    "product_name": (
        "productname",
        "description",
        "itemname",
        "itemdescription",
        "denumire",
        "denumirearticol",
        "denumireprodus",
        "descriere",
    ),
    "category": (
        "category",
        "categoryname",
        "productcategory",
        "productgroup",
        "categorie",
        "grupa",
        "grupaarticol",
        "familie",
    ),
    "quantity": ("quantity", "qty", "units", "cantitate", "cant"),
    "unit_price": ("unitprice", "price", "pretunitar", "pret", "pretvanzare"),
    "net_amount": (
        "netamount",
        "linenetamount",
        "sales",
        "amount",
        "netsales",
        "linetotal",
        "value",
        "valoare",
        "valoareneta",
        "valoarefaratva",
        "vanzari",
        "total",
    ),
    "cost": ("cost", "totalcost", "linecost", "costtotal", "costvanzari"),
    "unit_cost": ("unitcost", "costunitar", "costpeunitate"),
    "profit": ("profit", "grossprofit", "profitbrut"),
    "list_price": ("listprice", "catalogprice", "pretlista", "pretdelista", "pretcatalog"),
    "currency": ("currency", "currencycode", "moneda", "valuta"),
    "country": ("country", "customercountry", "clientcountry", "tara", "taraclient"),
    "sales_rep": (
        "salesrep",
        "salesperson",
        "employeeid",
        "employee",
        "agent",
        "agentvanzari",
        "reprezentant",
    ),
}


def normalise_header(header: str) -> str:
    """`Nr. factură` -> `nrfactura`; `Customer ID` -> `customerid`."""
    decomposed = unicodedata.normalize("NFKD", header)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", plain.lower())


_ALIAS_INDEX = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Canonical field -> header of the file, plus where each choice came from."""

    fields: dict[str, str]
    sources: dict[str, Literal["detected", "saved", "given"]]

    def header_of(self, field: str) -> str | None:
        return self.fields.get(field)


_REPEAT_MARK = re.compile(r" \(\d+\)$")  # what `readers.unique_headers` adds to a repeat


def _repeated(header: str, headers: Sequence[str]) -> str:
    """The header a repeat stands for ("client (2)" beside "client" is "client"): both
    then claim the same field. "Sales (2024)" beside "Sales (2023)" is its own header."""
    base = _REPEAT_MARK.sub("", header)
    return base if base != header and base in headers else header


def map_headers(
    headers: Sequence[str],
    *,
    given: Mapping[str, str] | None = None,
    saved: Mapping[str, str] | None = None,
    file_name: str = "",
) -> ColumnMapping:
    """Choose a header for each canonical field (given > saved > detected)."""
    given, saved = dict(given or {}), dict(saved or {})
    _check_known_fields(list(given) + list(saved))
    _check_headers_exist(headers, given, file_name)
    fields: dict[str, str] = {}
    sources: dict[str, Literal["detected", "saved", "given"]] = {}
    for field, header in saved.items():
        if header in headers:
            fields[field], sources[field] = header, "saved"
    for field, header in given.items():
        fields[field], sources[field] = header, "given"
    taken = set(fields.values())
    claims: dict[str, list[str]] = {}
    for header in headers:
        claimed = _ALIAS_INDEX.get(normalise_header(_repeated(header, headers)))
        if claimed and claimed not in fields and header not in taken:
            claims.setdefault(claimed, []).append(header)
    for field, claimants in claims.items():
        if len(claimants) > 1:
            names = ", ".join(repr(c) for c in claimants)
            raise ImportRefusedError(
                f"{file_name}: columns {names} could all be '{field}'; "
                f"choose one with --map {field}=HEADER"
            )
        fields[field], sources[field] = claimants[0], "detected"
    _check_one_header_per_field(fields, file_name)
    _check_required(fields, headers, file_name)
    return ColumnMapping(fields=fields, sources=sources)


def _check_known_fields(fields: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ImportRefusedError(
            f"unknown ledger field(s) {', '.join(unknown)}; known fields: {', '.join(FIELDS)}"
        )


def _check_headers_exist(headers: Sequence[str], given: Mapping[str, str], file_name: str) -> None:
    for field, header in given.items():
        if header not in headers:
            listed = ", ".join(repr(h) for h in headers)
            raise ImportRefusedError(
                f"{file_name}: --map {field}={header}: the file has no column {header!r} "
                f"(its columns: {listed})"
            )


def _check_one_header_per_field(fields: Mapping[str, str], file_name: str) -> None:
    seen: dict[str, str] = {}
    for field, header in fields.items():
        if header in seen:
            raise ImportRefusedError(
                f"{file_name}: column {header!r} is mapped to both '{seen[header]}' and '{field}'"
            )
        seen[header] = field


def _check_required(fields: Mapping[str, str], headers: Sequence[str], file_name: str) -> None:
    missing = [f for f in REQUIRED_VALUES if f not in fields]
    has_amount = "net_amount" in fields or {"quantity", "unit_price"} <= set(fields)
    if not has_amount:
        missing.append("net_amount (or quantity and unit_price)")
    if missing:
        listed = ", ".join(repr(h) for h in headers)
        raise ImportRefusedError(
            f"{file_name}: missing required column(s): {', '.join(missing)}. "
            f"Columns found: {listed}. Name them with --map FIELD=HEADER."
        )


DecimalStyle = Literal["point", "comma"]


@dataclass(frozen=True, slots=True)
class SeparatorCounts:
    """Counts over one column's values (see the module docstring)."""

    with_comma: int
    with_point: int
    comma_last_in_both: int  # values holding both, comma after the point
    point_last_in_both: int
    comma_not_grouping: int  # comma values that are not a clean thousands grouping
    point_not_grouping: int


def decimal_style(counts: SeparatorCounts) -> DecimalStyle | None:
    """The decimal separator of a column, or None when it cannot be told."""
    c = counts
    if c.with_comma == 0:
        return "point"
    if c.comma_last_in_both and not c.point_last_in_both:
        return "comma" if c.point_not_grouping == 0 else None
    if c.point_last_in_both and not c.comma_last_in_both:
        return "point" if c.comma_not_grouping == 0 else None
    if c.comma_last_in_both and c.point_last_in_both:
        return None
    if c.with_point == 0:
        return "comma" if c.comma_not_grouping else None
    if c.point_not_grouping == 0 and c.comma_not_grouping == 0:
        return None  # `1.000` and `1,000`: either may be the grouping one
    if c.point_not_grouping == 0:
        return "comma"
    if c.comma_not_grouping == 0:
        return "point"
    return None


DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y%m%d",
)


def date_shape(date_format: str | None) -> str:
    """A date format as people write it: `%d.%m.%Y` -> `DD.MM.YYYY`."""
    shape = (date_format or "%Y-%m-%d").replace("%Y", "YYYY").replace("%m", "MM")
    return shape.replace("%d", "DD").replace("%H", "hh").replace("%M", "mm").replace("%S", "ss")


def best_date_format(parsed_counts: Mapping[str, int]) -> str:
    """The format that reads the most values; earlier (day-first) formats win ties."""
    return max(DATE_FORMATS, key=lambda fmt: (parsed_counts.get(fmt, 0), -DATE_FORMATS.index(fmt)))


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One reason a file was refused, pointing at the cell."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """`["client=Cod client", ...]` -> {"client": "Cod client"}."""
    result: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip() or not header:
            raise ImportRefusedError(f"--map takes FIELD=HEADER, not {pair!r}")
        field = field.strip()
        if field in result and result[field] != header:
            raise ImportRefusedError(
                f"--map {field}= is given twice ({result[field]!r} and {header!r}): "
                "give one column per field"
            )
        result[field] = header
    _check_known_fields(result)
    return result
