"""The key-account programme as JSON and files: scored candidates, the matrix, wallets.

`selection_json` is the one JSON document of the ranked candidates, the same
for `kam select --format json` and `GET /api/v1/selection`; `matrix_json` the
portfolio matrix. Raw margin and wallet figures (margin, margin %, wallet,
potential, share of wallet) are null for people who may not see margins.

Wallet estimates travel as CSV or XLSX files with the columns client, year,
category, amount, source and confidence, under English or Romanian headers
(`cod client`, `an`, `categorie`, `sumă`/`valoare`, `sursă`, `încredere`). A
file is read whole, then saved all or nothing by
`kam.accounts.services.wallet_estimates_save`; its problems name the file's
own row numbers (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.accounts.models import WalletEstimate
from kam.accounts.selectors import Candidate, Figures, Scores
from kam.accounts.services import (
    WalletImportError,
    WalletProblem,
    WalletRow,
    wallet_estimates_save,
)
from kam.analytics.core.scoring import weights_normalise
from kam.audit.services import Actor
from kam.common.errors import DomainError
from kam.common.exports import safe_cell
from kam.common.money import money_str
from kam.ledger.parsing import ImportRefusedError
from kam.ledger.readers import check_zip_bomb, detect_delimiter, detect_encoding

# --- scored candidates and the matrix ---------------------------------------------------


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money_str(value)


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def inputs_json(f: Figures, *, with_margin: bool) -> dict[str, Any]:
    """The raw inputs behind the criteria; margin and wallet figures only `with_margin`."""
    hidden = not with_margin
    return {
        "revenue": money_str(f.revenue),
        "previous_revenue": _money(f.previous_revenue),
        "growth": _round(f.growth, 6),
        "margin": None if hidden else _money(f.margin),
        "margin_percent": None if hidden else _round(f.margin_percent, 6),
        "discount": _round(f.discount, 6),
        "partnership": f.partnership,
        "position": f.position,
        "wallet": None if hidden else _money(f.wallet),
        "potential": None if hidden else _money(f.potential),
        "share_of_wallet": None if hidden else _round(f.share_of_wallet, 6),
        "strength": _round(f.strength, 2),
    }


def candidate_json(candidate: Candidate, *, with_margin: bool) -> dict[str, Any]:
    """One scored client as JSON (see the module docstring for what is hidden)."""
    f, client = candidate.figures, candidate.client
    return {
        "rank": f.rank,
        "client": client.external_id,
        "name": client.name,
        "score": _round(f.score.total, 2),
        "coverage": _round(f.score.coverage, 4),
        "criteria": {c: _round(v, 2) for c, v in f.criteria.items()},
        "contributions": {c: round(v, 2) for c, v in f.score.contributions.items()},
        "missing": list(f.score.missing),
        "inputs": inputs_json(f, with_margin=with_margin),
        "abc": f.abc_class or None,
        "quadrant": f.quadrant.value if f.quadrant else None,
        "key_account": client.is_key_account,
        "tier": client.tier if client.is_key_account and client.tier else None,
        "manager": client.manager.username if client.manager_id and client.manager else None,
    }


def model_json(scores: Scores) -> dict[str, Any]:
    return {
        "name": scores.model.name,
        "weights": {c: round(w, 6) for c, w in weights_normalise(scores.model.weights).items()},
        "thresholds": {
            "attractiveness": scores.thresholds.attractiveness,
            "strength": scores.thresholds.strength,
        },
    }


def selection_json(
    scores: Scores,
    candidates: Sequence[Candidate],
    *,
    with_margin: bool,
    offset: int = 0,
    limit: int | None = None,
) -> dict[str, Any]:
    """The ranked candidates as one JSON document; `clients` counts all of them, the
    `candidates` list holds the page from `offset` (every one when `limit` is None)."""
    page = candidates[offset : None if limit is None else offset + limit]
    return {
        "year": scores.year,
        "model": model_json(scores),
        "clients": len(candidates),
        "candidates": [candidate_json(c, with_margin=with_margin) for c in page],
    }


def _place(f: Figures | None) -> dict[str, Any] | None:
    if f is None or f.quadrant is None or f.score.total is None or f.strength is None:
        return None
    return {
        "attractiveness": round(f.score.total, 2),
        "strength": round(f.strength, 2),
        "quadrant": f.quadrant.value,
    }


def matrix_json(scores: Scores, candidates: Sequence[Candidate]) -> dict[str, Any]:
    """The portfolio matrix: placed clients with their place a year before, and the
    clients that cannot be placed yet (no score, or nothing known of our strength)."""
    points: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    for c in candidates:
        place = _place(c.figures)
        if place is None:
            unplaced.append(
                {
                    "client": c.client.external_id,
                    "name": c.client.name,
                    "score": _round(c.figures.score.total, 2),
                    "missing_strength": c.figures.strength is None,
                }
            )
            continue
        points.append(
            {
                "client": c.client.external_id,
                "name": c.client.name,
                **place,
                "revenue": money_str(c.figures.revenue),
                "key_account": c.client.is_key_account,
                "previous": _place(c.previous),
            }
        )
    return {
        "year": scores.year,
        "model": model_json(scores),
        "points": points,
        "unplaced": unplaced,
    }


# --- wallet estimates in files ----------------------------------------------------------

WALLET_COLUMNS = ("client", "year", "category", "amount", "source", "confidence")
REQUIRED_COLUMNS = ("client", "year", "amount", "source")
_HEADERS = {
    "client": ("client", "codclient", "clientid", "idclient"),
    "year": ("year", "an", "anul"),
    "category": ("category", "categorie"),
    "amount": ("amount", "suma", "valoare", "wallet"),
    "source": ("source", "sursa"),
    "confidence": ("confidence", "incredere"),
}
_HEADER_INDEX = {alias: column for column, aliases in _HEADERS.items() for alias in aliases}
_CONFIDENCE_RO = {"scazuta": "low", "mica": "low", "medie": "medium", "ridicata": "high"}
MAX_ROWS = 100_000


class WalletFileError(DomainError):
    """A wallet file that cannot be read at all (not its rows' problems)."""

    code = "invalid_wallet_file"


@dataclass(frozen=True, slots=True)
class WalletFile:
    name: str
    rows: list[WalletRow]
    line_numbers: list[int]  # the file's row number of each row


@dataclass(frozen=True, slots=True)
class FileProblem:
    file: str
    row: int
    column: str
    value: str
    reason: str


class WalletFileProblemsError(DomainError):
    code = "invalid_wallet_estimates"

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = problems
        super().__init__(
            ngettext(
                "%(count)d problem; nothing was changed.",
                "%(count)d problems; nothing was changed.",
                len(problems),
            )
            % {"count": len(problems)}
        )


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _header_key(header: str) -> str:
    return "".join(ch for ch in _plain(header) if ch.isalnum())


def _amount_text(value: str) -> str:
    """`1.234,56` and `1,234.56` and `1234,56` read as 1234.56; other text is left to check."""
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _table(path: Path) -> list[list[str]]:
    name = path.name
    if not path.is_file():
        raise WalletFileError(_("%(file)s: no such file") % {"file": name})
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from python_calamine import CalamineWorkbook

        try:
            check_zip_bomb(path, name)
            book = CalamineWorkbook.from_path(str(path))
            rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except ImportRefusedError as error:
            raise WalletFileError(str(error)) from None
        except Exception as error:  # calamine raises its own error types
            raise WalletFileError(
                _("%(file)s: not a readable XLSX workbook (%(error)s)")
                % {"file": name, "error": error}
            ) from None
        return [[_cell(v) for v in row] for row in rows]
    raw = path.read_bytes()
    text = raw.decode(detect_encoding(raw[:65536]), errors="replace").lstrip("\ufeff")
    if not text.strip():
        return []
    delimiter = detect_delimiter(text, suffix=path.suffix.lower())
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def wallet_file_read(path: Path) -> WalletFile:
    """The rows of a wallet file; a missing required column refuses the file."""
    table = _table(path)
    if not table or not any(table[0]):
        raise WalletFileError(
            _("%(file)s: the first row holds no column names") % {"file": path.name}
        )
    columns: dict[str, int] = {}
    for index, header in enumerate(table[0]):
        column = _HEADER_INDEX.get(_header_key(header))
        if column is not None and column not in columns:
            columns[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise WalletFileError(
            _("%(file)s: missing column(s) %(columns)s; expected %(expected)s")
            % {
                "file": path.name,
                "columns": ", ".join(missing),
                "expected": ", ".join(WALLET_COLUMNS),
            }
        )
    rows: list[WalletRow] = []
    numbers: list[int] = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue  # a blank line
        if len(rows) >= MAX_ROWS:
            raise WalletFileError(
                _("%(file)s: more than %(count)d rows") % {"file": path.name, "count": MAX_ROWS}
            )

        def get(column: str, cells: list[str] = cells) -> str:
            index = columns.get(column)
            return cells[index] if index is not None and index < len(cells) else ""

        confidence = get("confidence")
        confidence = _CONFIDENCE_RO.get(_plain(confidence), confidence)
        rows.append(
            WalletRow(
                client=get("client"),
                year=get("year"),
                category=get("category"),
                amount=_amount_text(get("amount")),
                source=get("source"),
                confidence=confidence or WalletEstimate.Confidence.MEDIUM,
            )
        )
        numbers.append(number)
    if not rows:
        raise WalletFileError(_("%(file)s: no wallet estimates") % {"file": path.name})
    return WalletFile(path.name, rows, numbers)


class _DryRunError(Exception):
    """Rolls back a dry run."""


def wallet_file_import(*, path: Path, actor: Actor, dry_run: bool = False) -> tuple[int, int]:
    """Save every estimate of the file, or none; returns (created, changed).

    A dry run checks and saves inside a transaction it then rolls back, so it
    finds every problem a real import would, and changes nothing.
    """
    found = wallet_file_read(path)
    result = (0, 0)
    try:
        with transaction.atomic():
            result = wallet_estimates_save(actor=actor, rows=found.rows)
            if dry_run:
                raise _DryRunError
    except _DryRunError:
        pass
    except WalletImportError as error:
        raise WalletFileProblemsError([_file_problem(found, p) for p in error.problems]) from error
    return result


def _file_problem(found: WalletFile, problem: WalletProblem) -> FileProblem:
    return FileProblem(
        found.name,
        found.line_numbers[problem.row - 1],
        problem.column,
        problem.value,
        problem.reason,
    )


def wallet_export_rows(
    estimates: Iterable[WalletEstimate], *, spreadsheet: bool
) -> list[dict[str, Any]]:
    """Wallet estimates as rows with the import's columns; for a `spreadsheet` (CSV),
    text cells are made formula-safe."""
    cell = safe_cell if spreadsheet else str
    return [
        {
            "client": cell(e.client.external_id),
            "year": e.year,
            "category": cell(e.category),
            "amount": money_str(e.amount),
            "source": cell(e.source),
            "confidence": e.confidence,
        }
        for e in estimates
    ]
