"""Ledger files uploaded through the web: kept, checked and previewed before an import.

An upload is a folder `KAM_HOME/uploads/<uuid>/` holding the file and
`upload.json` (name, type, size, who, when). It is accepted by content
(`upload_checks`) and kept until a committed import of it succeeds, so that a
dry run and the commit that follows read the same bytes; a folder untouched
for a day is swept away. The preview stages only the head of the file (the
first MiB of a CSV, ten rows of a Parquet file, the chosen sheet of a
workbook) with `readers.stage_raw` in a throwaway in-memory DuckDB, and keeps
the result beside the upload. Jobs that import an upload: `runner.py`.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.clients.access import can_import
from kam.common.errors import DomainError
from kam.ledger.models import ImportJob
from kam.ledger.parsing import ALIASES, FIELDS, ImportRefusedError, normalise_header
from kam.ledger.readers import SAMPLE_BYTES, sniff, stage_raw
from kam.ledger.upload_checks import (
    Kind,
    check_parquet,
    check_workbook,
    content_kind,
    gunzip,
)

META = "upload.json"
PREVIEW_ROWS = 10
_ID = re.compile(r"[0-9a-f]{32}")


class ImportNotAllowedError(DomainError):
    code = "import_not_allowed"


class UploadNotFoundError(ImportRefusedError):
    code = "upload_not_found"


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    name: str
    kind: Kind
    size: int
    sheets: tuple[str, ...]
    uploaded_by: str
    uploaded_at: str  # ISO 8601

    @property
    def folder(self) -> Path:
        return uploads_root() / self.id

    @property
    def path(self) -> Path:
        return self.folder / self.name


def uploads_root() -> Path:
    return Path(settings.KAM_HOME) / "uploads"


def upload_max_bytes() -> int:
    return int(getattr(settings, "KAM_UPLOAD_MAX_BYTES", 512 << 20))


def upload_save(*, chunks: Iterable[bytes], name: str, user: Any) -> Upload:
    """Keep an uploaded file if its size and content are accepted; refuses otherwise."""
    if not can_import(user):
        raise ImportNotAllowedError(_("You may not import sales ledgers."))
    folder = uploads_root() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        upload = _accept(folder, _safe_name(name), chunks, user)
        (folder / META).write_text(json.dumps(asdict(upload)), encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return upload


def _accept(folder: Path, name: str, chunks: Iterable[bytes], user: Any) -> Upload:
    size = _write(folder / name, chunks, name=name)
    kind, gzipped = content_kind(folder / name, name=name)
    if gzipped and kind != "csv":
        plain = name.removesuffix(".gz").removesuffix(".GZ") or "upload"
        gunzip(folder / name, folder / plain, name=name)
        (folder / name).unlink()
        name = plain
    elif gzipped and not name.lower().endswith(".gz"):
        (folder / name).rename(folder / f"{name}.gz")  # DuckDB knows gzip by the suffix
        name = f"{name}.gz"
    sheets: tuple[str, ...] = ()
    if kind == "xlsx":
        sheets = check_workbook(folder / name, name=name)
    elif kind == "parquet":
        check_parquet(folder / name, name=name)
    return Upload(
        id=folder.name,
        name=name,
        kind=kind,
        size=size,
        sheets=sheets,
        uploaded_by=getattr(user, "username", ""),
        uploaded_at=timezone.now().isoformat(),
    )


def _write(target: Path, chunks: Iterable[bytes], *, name: str) -> int:
    limit, size = upload_max_bytes(), 0
    with target.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise ImportRefusedError(upload_too_large_message(name))
            out.write(chunk)
    return size


def upload_too_large_message(name: str) -> str:
    return _("%(name)s is larger than the upload limit of %(limit)s MiB; refused.") % {
        "name": name or _("The file"),
        "limit": upload_max_bytes() >> 20,
    }


def _safe_name(name: str) -> str:
    """The base name with only harmless characters, at most 120 of them."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\- ()]", "_", base).strip(" .")
    return cleaned[-120:] or "upload"


def upload_get(*, upload_id: str) -> Upload:
    """The upload with this id; refuses when it is gone."""
    meta = uploads_root() / upload_id / META if _ID.fullmatch(upload_id) else None
    if meta is None or not meta.is_file():
        raise UploadNotFoundError(_("This upload is no longer available; upload the file again."))
    data = json.loads(meta.read_text(encoding="utf-8"))
    data["sheets"] = tuple(data["sheets"])
    return Upload(**data)


def upload_delete(*, upload_id: str) -> None:
    """Remove an upload's folder (after its import is committed)."""
    if _ID.fullmatch(upload_id):
        shutil.rmtree(uploads_root() / upload_id, ignore_errors=True)


def uploads_sweep(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete uploads untouched for `older_than`, except those a running job reads."""
    root = uploads_root()
    if not root.is_dir():
        return 0
    busy = set(
        ImportJob.objects.filter(status=ImportJob.Status.RUNNING).values_list("upload", flat=True)
    )
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in busy and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


# ---- preview -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    """The first rows of an upload and the mapping detected from its headers."""

    headers: list[str]
    rows: list[list[str]]
    fields: dict[str, str]  # ledger field -> header
    sources: dict[str, str]  # ledger field -> "saved" | "detected"
    ambiguous: dict[str, list[str]]  # ledger field -> the headers that could all be it


def upload_preview(
    *, upload: Upload, sheet: str | None = None, saved: Mapping[str, str] | None = None
) -> Preview:
    """Headers, the first rows as text, and the mapping a saved one or detection gives."""
    headers, rows = _preview_rows(upload, sheet)
    fields, sources, ambiguous = detect_mapping(headers, saved=saved)
    return Preview(headers, rows, fields, sources, ambiguous)


_ALIAS_INDEX = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


def detect_mapping(
    headers: list[str], *, saved: Mapping[str, str] | None = None
) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """`parsing.map_headers` that never refuses: ambiguous fields are left for a person."""
    fields: dict[str, str] = {}
    sources: dict[str, str] = {}
    for field, header in (saved or {}).items():
        if field in FIELDS and header in headers and header not in fields.values():
            fields[field], sources[field] = header, "saved"
    claims: dict[str, list[str]] = {}
    for header in headers:
        claimed = _ALIAS_INDEX.get(normalise_header(header))
        if claimed and claimed not in fields and header not in fields.values():
            claims.setdefault(claimed, []).append(header)
    for field, claimants in claims.items():
        if len(claimants) == 1:
            fields[field], sources[field] = claimants[0], "detected"
    return fields, sources, {f: c for f, c in claims.items() if len(c) > 1}


def _preview_rows(upload: Upload, sheet: str | None) -> tuple[list[str], list[list[str]]]:
    index = upload.sheets.index(sheet) if sheet in upload.sheets else 0
    cache = upload.folder / f"preview-{index}.json"
    if cache.is_file():
        kept = json.loads(cache.read_text(encoding="utf-8"))
        return kept["headers"], kept["rows"]
    with (
        tempfile.TemporaryDirectory(prefix="kam-preview-") as folder,
        contextlib.closing(duckdb.connect()) as con,
    ):
        source = _head_copy(upload, Path(folder), con)
        raw, _rejects = stage_raw(con, source, "kam_preview", sheet=sheet)
        rows = con.execute(
            f"SELECT * EXCLUDE (_row) FROM {raw.name} ORDER BY _row LIMIT {PREVIEW_ROWS}"
        ).fetchall()
    if not rows:
        raise ImportRefusedError(
            _("%(name)s has a header but no data rows.") % {"name": upload.name}
        )
    text = [["" if value is None else str(value) for value in row] for row in rows]
    cache.write_text(json.dumps({"headers": raw.headers, "rows": text}), encoding="utf-8")
    return raw.headers, text


def _head_copy(upload: Upload, folder: Path, con: duckdb.DuckDBPyConnection) -> Path:
    """A small file with the upload's first rows, named as the upload (it names problems)."""
    if upload.kind == "xlsx":
        return upload.path
    target = folder / upload.name.removesuffix(".gz")
    if upload.kind == "parquet":
        quoted = str(target).replace("'", "''")
        con.execute(
            f"COPY (SELECT * FROM read_parquet(?) LIMIT {PREVIEW_ROWS}) TO '{quoted}' "
            "(FORMAT parquet)",
            [str(upload.path)],
        )
        return target
    sample, _gzipped = sniff(upload.path)
    if len(sample) >= SAMPLE_BYTES:  # cut at the last full line
        sample = sample[: sample.rfind(b"\n") + 1]
    target.write_bytes(sample)
    return target
