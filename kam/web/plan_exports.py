"""The account plan as PDF (WeasyPrint, from an HTML page with a print stylesheet) and XLSX.

Both are written in the active language (the person's). The PDF is made from
the page alone: its charts are inline SVG drawn here, and the renderer may
fetch nothing but data: URIs (no file, no network). Every text cell of the
workbook goes through safe_cell, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kam.common.exports import safe_cell
from kam.people.models import Function
from kam.planning.models import Objective
from kam.web.plan_sheet import Sheet, confidence_label
from kam.web.svg_charts import ProgressBar, bar_chart, progress_chart
from kam.web.templatetags.kam_format import number, pct

PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _name(sheet: Sheet, extension: str) -> str:
    stem = slugify(sheet.client.external_id) or "account"
    return f"account-plan-{stem}-{sheet.year}.{extension}"


# --- PDF ---------------------------------------------------------------------------------


def _fetcher() -> Any:
    """A URL fetcher that refuses everything but data: URIs (imported late: WeasyPrint is big)."""
    from weasyprint.urls import URLFetcher

    class DataOnly(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise ValueError(f"refused to fetch {url[:80]}")
            return super().fetch(url, headers)

    return DataOnly()


def _charts(sheet: Sheet) -> dict[str, str]:
    revenue = bar_chart(
        [(str(y), float(v)) for y, v in sheet.facts.by_year[-6:]],
        label=lambda v: number(v),
        title=_("Net revenue by year"),
    )
    bars = [
        ProgressBar(
            label=row.label,
            actual=row.share,
            expected=row.expected_share,
            status=row.status,
            note=_("%(actual)s · forecast %(forecast)s")
            % {
                "actual": pct(row.share, 0),
                "forecast": pct(row.expected_share, 0),
            },
        )
        for row in sheet.objectives
        if not row.hidden
    ]
    progress = progress_chart(bars, title=_("Progress on the objectives"))
    return {"revenue": mark_safe(revenue), "progress": mark_safe(progress)}


def pdf_bytes(request: HttpRequest, sheet: Sheet) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "web/account/pdf.html", {"s": sheet, "charts": _charts(sheet)}, request=request
    )
    document = HTML(string=html, url_fetcher=_fetcher(), base_url=None)
    return bytes(document.write_pdf())


def pdf_response(request: HttpRequest, sheet: Sheet) -> HttpResponse:
    response = HttpResponse(pdf_bytes(request, sheet), content_type=PDF_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_name(sheet, "pdf")}"'
    return response


# --- XLSX --------------------------------------------------------------------------------

FUNCTIONS = dict(Function.choices)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


class _Book:
    """A workbook whose every text cell is formula-safe."""

    def __init__(self, target: Any) -> None:
        self.book = xlsxwriter.Workbook(target, {"strings_to_formulas": False})
        self.bold = self.book.add_format({"bold": True})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.money = self.book.add_format({"num_format": "#,##0.00"})
        self.share = self.book.add_format({"num_format": "0.0%"})
        self.names: set[str] = set()
        self.indents: dict[int, Any] = {}

    def indent(self, depth: int) -> Any:
        if depth not in self.indents:
            self.indents[depth] = self.book.add_format({"indent": min(depth, 15)})
        return self.indents[depth]

    def sheet(self, name: str, widths: Sequence[int]) -> Any:
        clean = _SHEET_NAME_BAD.sub(" ", name)[:31] or "Sheet"
        while clean in self.names:
            clean = clean[:28] + f" {len(self.names)}"
        self.names.add(clean)
        ws = self.book.add_worksheet(clean)
        for column, width in enumerate(widths):
            ws.set_column(column, column, width)
        return ws

    def row(self, ws: Any, r: int, cells: Sequence[Any], fmt: Any = None) -> None:
        for c, value in enumerate(cells):
            self.cell(ws, r, c, value, fmt)

    def cell(self, ws: Any, r: int, c: int, value: Any, fmt: Any = None) -> None:
        if value is None or value == "":
            return
        if isinstance(value, tuple):  # (number, format)
            number, number_format = value
            if number is not None:
                ws.write_number(r, c, float(number), number_format)
            return
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            ws.write_number(r, c, float(value), fmt)
            return
        ws.write_string(r, c, str(safe_cell(str(value))), fmt)


def _plan_sheet(b: _Book, s: Sheet) -> None:
    ws = b.sheet(_("Plan"), (34, 90))
    f, plan = s.facts, s.plan
    b.cell(
        ws,
        0,
        0,
        _("Account plan %(year)s: %(client)s") % {"year": s.year, "client": s.client.name},
        b.title,
    )
    rows: list[tuple[str, Any]] = [
        (_("Client id"), s.client.external_id),
        (_("Key account"), f.tier or (_("yes") if s.client.is_key_account else _("no"))),
        (_("Key-account manager"), str(f.manager) if f.manager else "—"),
        (
            _("Relationship stage"),
            f"{f.stage.get_stage_display()} ({f.stage.noted_on:%Y-%m-%d})" if f.stage else "—",
        ),
        (_("Net revenue %(year)s") % {"year": s.year}, (f.revenue, b.money)),
        (_("Net revenue %(year)s") % {"year": s.year - 1}, (f.previous, b.money)),
    ]
    if f.previous_through is not None:  # the year runs: growth is against the same days
        day = f"{f.previous_through:%Y-%m-%d}"
        rows.append(
            (
                _("Net revenue %(year)s to %(day)s") % {"year": s.year - 1, "day": day},
                (f.previous_to_date, b.money),
            )
        )
    rows.append((_("Growth, same period") if f.to_date else _("Growth"), (f.growth, b.share)))
    if s.with_margin:
        rows += [
            (_("Gross margin"), (f.margin, b.money)),
            (_("Margin %"), (f.margin_percent, b.share)),
        ]
    if plan is not None:
        rows += [
            (_("Plan version"), f"{plan.version} · {plan.get_status_display()}"),
            (_("Summary"), plan.summary),
            (_("The client's strategy"), plan.strategy),
            (_("The client's needs"), plan.needs),
            (_("Strengths"), plan.strengths),
            (_("Weaknesses"), plan.weaknesses),
            (_("Opportunities"), plan.opportunities),
            (_("Threats"), plan.threats),
        ]
        if plan.review_note:
            rows.append((_("Review note"), plan.review_note))
    else:
        rows.append((_("Plan version"), _("No plan for this year yet.")))
    for r, (label, value) in enumerate(rows, start=2):
        b.cell(ws, r, 0, label, b.bold)
        b.cell(ws, r, 1, value, b.wrap)


def _objectives_sheet(b: _Book, s: Sheet) -> None:
    ws = b.sheet(_("Objectives"), (26, 22, 16, 16, 16, 12, 14, 14, 40))
    header = [
        _("Measure"),
        _("Category"),
        _("Target"),
        _("Actual to date"),
        _("Forecast to year end"),
        _("Of target"),
        _("Status"),
        _("Method"),
        _("Note"),
    ]
    b.row(ws, 0, header, b.bold)
    for r, row in enumerate(s.objectives, start=1):
        o, p = row.objective, row.progress
        share = o.measure == Objective.Measure.SHARE_OF_WALLET
        number_format = b.share if share else b.money
        figures: list[Any] = ["—", "—", "—", None]
        if not row.hidden:
            figures = [
                (o.target, number_format),
                (p.actual, number_format),
                (p.expected, number_format),
                (row.share, b.share),
            ]
        b.row(
            ws,
            r,
            [
                str(o.get_measure_display()),
                o.category or _("All"),
                *figures,
                row.status_label,
                row.method_label,
                o.note,
            ],
        )


def _wallet_sheet(b: _Book, s: Sheet) -> None:
    ws = b.sheet(_("Share of wallet"), (24, 8, 12, 16, 16, 24, 12))
    header = [_("Category"), _("Year"), _("Share of wallet")]
    if s.with_margin:
        header += [_("Estimated wallet"), _("Our net revenue")]
    b.row(ws, 0, [*header, _("Source"), _("Confidence")], b.bold)
    r = 1
    for row in s.wallet.rows:
        for cell in row.cells:
            if cell is None:
                continue
            values: list[Any] = [row.label, cell.year, (cell.share, b.share)]
            if s.with_margin:
                values += [(cell.wallet, b.money), (cell.ours, b.money)]
            values += [cell.source, confidence_label(cell.confidence)]
            b.row(ws, r, values)
            r += 1


def _people_sheet(b: _Book, s: Sheet) -> None:
    ws = b.sheet(_("Buying centre"), (30, 24, 18, 10, 14, 22, 12))
    header = [
        _("Name"),
        _("Job title"),
        _("Role in the decision"),
        _("Influence"),
        _("Attitude to us"),
        _("Our relationship owner"),
        _("Gap"),
    ]
    b.row(ws, 0, header, b.bold)
    for r, entry in enumerate(s.people, start=1):
        p = entry.person
        b.cell(ws, r, 0, p.name, b.indent(entry.depth))  # who reports to whom, by indentation
        b.row(
            ws,
            r,
            [
                None,
                p.title,
                str(p.get_role_display()),
                p.influence,
                str(p.get_attitude_display()),
                str(p.owner) if p.owner else "—",
                _("yes") if p.is_gap else "",
            ],
        )


def _deals_sheet(b: _Book, s: Sheet) -> None:
    ws = b.sheet(_("Deals"), (32, 14, 14, 12, 14, 28, 24, 20))
    pipe = s.pipe
    b.cell(ws, 0, 0, _("Pipeline %(year)s") % {"year": s.year}, b.bold)
    summary = [
        (_("Open pipeline"), pipe.open_value),
        (_("Weighted (value × probability)"), pipe.weighted),
        (_("Won"), pipe.won),
        (_("Gap to the revenue objective"), pipe.gap),
    ]
    for r, (label, value) in enumerate(summary, start=1):
        b.cell(ws, r, 0, label)
        b.cell(ws, r, 1, (value, b.money))
    b.cell(ws, 5, 0, _("Gap covered by the weighted pipeline"))
    b.cell(ws, 5, 1, (pipe.covered, b.share))
    header = [
        _("Deal"),
        _("Stage"),
        _("Value"),
        _("Probability"),
        _("Expected close"),
        _("Products or categories"),
        _("Competitors met"),
        _("Owner"),
    ]
    b.row(ws, 7, header, b.bold)
    for r, d in enumerate(s.deals, start=8):
        b.row(
            ws,
            r,
            [
                d.title,
                str(d.get_stage_display()),
                (d.value, b.money),
                (Decimal(d.probability) / 100, b.share),
                f"{d.expected_close:%Y-%m-%d}",
                d.categories,
                ", ".join(c.name for c in d.competitors.all()),
                str(d.owner) if d.owner else "",
            ],
        )


def _competitors_sheet(b: _Book, s: Sheet) -> None:
    ws = b.sheet(_("Competitors"), (28, 16, 20, 50))
    header = [_("Competitor"), _("Estimated share"), _("Price position"), _("Notes")]
    b.row(ws, 0, header, b.bold)
    for r, c in enumerate(s.competitors, start=1):
        b.row(
            ws,
            r,
            [
                c.competitor.name,
                (c.estimated_share, b.share),
                str(c.get_price_position_display()) if c.price_position else "",
                c.notes,
            ],
        )


def _actions_sheet(b: _Book, s: Sheet) -> None:
    ws = b.sheet(_("Actions"), (36, 22, 22, 12, 14))
    b.row(ws, 0, [_("Task"), _("Owner"), _("Function asked"), _("Due"), _("Status")], b.bold)
    for r, t in enumerate(s.tasks, start=1):
        b.row(
            ws,
            r,
            [
                t.title,
                str(t.owner),
                str(FUNCTIONS.get(t.function, t.function)),
                f"{t.due_on:%Y-%m-%d}",
                str(t.get_status_display()),
            ],
        )


def xlsx_response(sheet: Sheet) -> FileResponse:
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  # FileResponse closes it
    book = _Book(target)
    for write in (
        _plan_sheet,
        _objectives_sheet,
        _wallet_sheet,
        _people_sheet,
        _deals_sheet,
        _competitors_sheet,
        _actions_sheet,
    ):
        write(book, sheet)
    book.book.close()
    target.seek(0)
    response = FileResponse(target, as_attachment=True, filename=_name(sheet, "xlsx"))
    response["Content-Type"] = XLSX_TYPE
    return response
