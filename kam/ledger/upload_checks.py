"""Refuse an uploaded file by its content, before anything reads it for real.

Accepted, by content and never by name: CSV/TSV text, XLSX, Parquet, and a
gzip of any of them. Refused, each with a message a person can act on:
- an empty file;
- any other type: binary content, HTML/XML or JSON text;
- a gzip whose first 64 MiB unpack from less than 1/500 of that (a gzip bomb;
  real ledgers compress 5 to 50 times);
- an XLSX that unpacks far beyond its weight (a ZIP bomb, `readers.check_zip_bomb`);
- an XLSX whose XML declares a DTD: only a DTD can define entities, and it can
  only stand in the prolog, before the root element, so reading each part's
  prolog is enough to refuse every entity-expansion ("billion laughs") bomb;
- a workbook or Parquet file that cannot be opened.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import zipfile
from pathlib import Path
from typing import Literal

import duckdb
from django.utils.translation import gettext as _

from kam.ledger.parsing import ImportRefusedError
from kam.ledger.readers import MAX_GUNZIPPED_BINARY, check_zip_bomb, sniff

Kind = Literal["csv", "xlsx", "parquet"]

GZIP_PROBE_BYTES = 64 << 20
MAX_GZIP_RATIO = 500
PROLOG_BYTES = 1 << 16
ACCEPTED = "CSV, TSV, XLSX, Parquet"


def content_kind(path: Path, *, name: str) -> tuple[Kind, bool]:
    """What the file is, by content, and whether it is gzipped; refuses anything else."""
    if path.stat().st_size == 0:
        raise ImportRefusedError(_("%(name)s is empty.") % {"name": name})
    sample, gzipped = sniff(path)
    if not sample.strip():
        raise ImportRefusedError(_("%(name)s is empty.") % {"name": name})
    if gzipped:
        check_gzip_ratio(path, name=name)
    if sample.startswith(b"PK\x03\x04"):
        return "xlsx", gzipped
    if sample.startswith(b"PAR1"):
        return "parquet", gzipped
    head = sample[:65536].lstrip(codecs.BOM_UTF8).lstrip()
    if b"\x00" in sample[:65536] or head.startswith((b"<", b"{", b"[")):
        raise ImportRefusedError(
            _("%(name)s is not a sales ledger file: accepted are %(types)s, or a gzip of one.")
            % {"name": name, "types": ACCEPTED}
        )
    return "csv", gzipped


def check_gzip_ratio(path: Path, *, name: str) -> None:
    """Refuse a gzip that unpacks to hundreds of times its size."""
    unpacked = 0
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as stream:
        while unpacked < GZIP_PROBE_BYTES and (chunk := stream.read(1 << 20)):
            unpacked += len(chunk)
        packed = max(1, raw.tell())
    if unpacked >= GZIP_PROBE_BYTES and unpacked / packed > MAX_GZIP_RATIO:
        raise ImportRefusedError(
            _("%(name)s unpacks to hundreds of times its size (a compression bomb?); refused.")
            % {"name": name}
        )


def gunzip(source: Path, target: Path, *, name: str) -> None:
    """Unpack a gzipped workbook or Parquet file, refusing more than 4 GiB."""
    copied = 0
    with gzip.open(source, "rb") as stream, target.open("wb") as out:
        while chunk := stream.read(1 << 20):
            copied += len(chunk)
            if copied > MAX_GUNZIPPED_BINARY:
                raise ImportRefusedError(
                    _("%(name)s unpacks to more than 4 GiB; refused.") % {"name": name}
                )
            out.write(chunk)


def check_workbook(path: Path, *, name: str) -> tuple[str, ...]:
    """Refuse ZIP and XML bombs and unreadable workbooks; returns the sheet names."""
    from python_calamine import CalamineWorkbook

    check_zip_bomb(path, name)
    check_xml_entities(path, name=name)
    try:
        sheets = tuple(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # calamine raises its own error types
        sheets = ()
    if not sheets:
        raise ImportRefusedError(_("%(name)s is not a readable XLSX workbook.") % {"name": name})
    return sheets


def check_xml_entities(path: Path, *, name: str) -> None:
    """Refuse a workbook whose XML parts declare a DTD (entity expansion)."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            with archive.open(info) as member:
                if declares_dtd(member.read(PROLOG_BYTES)):
                    raise ImportRefusedError(
                        _(
                            "%(name)s: the workbook's XML declares entities (an XML bomb?); "
                            "refused. Save it again from your spreadsheet program."
                        )
                        % {"name": name}
                    )


def declares_dtd(head: bytes) -> bool:
    """True when the XML prolog holds a `<!DOCTYPE` (or cannot be read to its end)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="ignore").lstrip("\ufeff")
    else:
        text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if text.startswith("<?", at) or text.startswith("<!--", at):
            closing = "?>" if text.startswith("<?", at) else "-->"
            end = text.find(closing, at)
            if end < 0:
                return True  # a prolog longer than we read is not an Excel file's
            at = end + len(closing)
        else:
            return text.startswith("<!", at)


def check_parquet(path: Path, *, name: str) -> None:
    """Refuse a Parquet file DuckDB cannot read."""
    with contextlib.closing(duckdb.connect()) as con:
        try:
            con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        except duckdb.Error:
            raise ImportRefusedError(
                _("%(name)s is not a readable Parquet file.") % {"name": name}
            ) from None
