"""The clients list (search, filters, sort, pages, exports) and the client page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from kam.analytics.client_charts import client_years_figure
from kam.analytics.client_selectors import (
    DEFAULT_SORT,
    SORTS,
    ClientFilters,
    ClientPage,
    ClientRow,
    client_countries,
    client_list_page,
    client_managers,
    client_page,
    client_row,
    iter_client_rows,
)
from kam.analytics.selectors import available_years
from kam.audit.display import readable_events
from kam.clients.access import can_see_margins
from kam.common.exports import safe_cell
from kam.web.key_account import key_account_context
from kam.web.selection import score_panel_context
from kam.web.table_exports import csv_response, share, xlsx_response

PER_PAGE = 50
EXPORT_FORMATS = ("csv", "xlsx")


class ClientListForm(forms.Form):
    """The list's query string; an invalid value is ignored rather than refused."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, required=False)
    abc = forms.ChoiceField(label=gettext_lazy("Class"), required=False)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    key = forms.ChoiceField(label=gettext_lazy("Key account"), required=False)
    manager = forms.TypedChoiceField(
        label=gettext_lazy("Key-account manager"), coerce=int, required=False, empty_value=None
    )
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, years: list[int], countries: list[str], managers: Any) -> None:
        super().__init__(data)
        everything = ("", _("All"))
        self._choices("year", [(y, str(y)) for y in years])
        self._choices("abc", [everything, ("A", "A"), ("B", "B"), ("C", "C"), ("-", _("none"))])
        self._choices("country", [everything, *((c, c) for c in countries)])
        self._choices("key", [everything, ("yes", _("Key accounts")), ("no", _("Other clients"))])
        self._choices("manager", [everything, *((m.pk, str(m)) for m in managers)])
        self._choices("sort", [(s, s) for s in SORTS])
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        self.years = years

    def _choices(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def filters(self) -> ClientFilters:
        self.is_valid()
        data = self.cleaned_data
        return ClientFilters(
            year=data.get("year") or (self.years[0] if self.years else None),
            search=data.get("q") or "",
            abc_class=data.get("abc") or "",
            country=data.get("country") or "",
            key_account={"yes": True, "no": False}.get(data.get("key") or ""),
            manager_id=data.get("manager"),
            sort=data.get("sort") or DEFAULT_SORT,
        )


def _list_form(request: HttpRequest) -> ClientListForm:
    return ClientListForm(
        request.GET,
        years=available_years(),
        countries=client_countries(user=request.user),
        managers=client_managers(user=request.user),
    )


@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    """Visible clients, a page at a time; htmx gets the table alone."""
    form = _list_form(request)
    filters = form.filters()
    with_margin = can_see_margins(request.user)
    page = client_list_page(
        user=request.user, filters=filters, number=_page_number(request), per_page=PER_PAGE
    )
    partial = bool(getattr(request, "htmx", False))
    context = {
        "partial": partial,
        "form": form,
        "filters": filters,
        "page": page,
        "rows": _linked_rows(page.rows, with_margin=with_margin),
        "with_margin": with_margin,
        "sort_urls": _sort_urls(request, filters.sort),
        "query": _query(request, drop=("page",)),
    }
    template = "web/clients/_table.html" if partial else "web/clients/list.html"
    return render(request, template, context)


def _linked_rows(rows: list[dict[str, Any]], *, with_margin: bool) -> list[dict[str, Any]]:
    """Display rows with their page's address (one `reverse` rather than one per row)."""
    prefix = reverse("clients:list")
    return [
        {
            "row": client_row(values, with_margin=with_margin),
            "url": f"{prefix}{quote(values['external_id'])}/",
        }
        for values in rows
    ]


def _page_number(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


def _query(request: HttpRequest, *, drop: tuple[str, ...] = (), **values: str) -> str:
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


def _sort_urls(request: HttpRequest, current: str) -> dict[str, str]:
    """Each column's link: its natural order first, the reverse on a second click."""
    natural = {"name": "name", "country": "country", "revenue": "-revenue", "class": "class"}
    urls = {}
    for key, first in natural.items():
        reverse = first[1:] if first.startswith("-") else f"-{first}"
        target = reverse if current == first else first
        urls[key] = "?" + _query(request, drop=("page",), sort=target)
    return urls


def _export_header(*, with_margin: bool) -> list[str]:
    header = [_("Client id"), _("Name"), _("Country"), _("Key account"), _("Tier"), _("Manager")]
    header += [_("Net revenue")]
    if with_margin:
        header += [_("Gross margin"), _("Margin %")]
    return [*header, _("Class"), _("RFM")]


def _export_cells(row: ClientRow, *, with_margin: bool) -> list[Any]:
    key = _("yes") if row.is_key_account else ""
    texts = [row.external_id, row.name, row.country, key, row.tier if row.is_key_account else ""]
    cells: list[Any] = [safe_cell(t) for t in (*texts, row.manager)]
    cells.append(row.revenue)
    if with_margin:
        cells += [row.margin.amount if row.margin else None]
        cells += [share(row.margin.percent) if row.margin else None]
    return [*cells, safe_cell(row.abc_class), safe_cell(row.rfm)]


@login_required
@require_GET
def client_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The filtered list (every page) as CSV or XLSX; every text cell is formula-safe."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    filters = _list_form(request).filters()
    with_margin = can_see_margins(request.user)
    rows = iter_client_rows(user=request.user, filters=filters, with_margin=with_margin)
    name = f"clients-{filters.year or 'all'}.{fmt}"
    cells = (_export_cells(row, with_margin=with_margin) for row in rows)
    if fmt == "csv":
        return csv_response(_export_header(with_margin=with_margin), cells, name)
    return xlsx_response(_export_header(with_margin=with_margin), cells, name, sheet=_("Clients"))


@login_required
@require_GET
def client_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    """One client: figures by year, categories, classes, recent invoices and history."""
    return client_page_response(request, external_id)


def client_page_response(
    request: HttpRequest,
    external_id: str,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The client page; `bound` holds key-account forms refused, shown with their errors."""
    years = available_years()
    with_margin = can_see_margins(request.user)
    page = client_page(
        user=request.user,
        external_id=external_id,
        latest_year=years[0] if years else None,
        with_margin=with_margin,
    )
    if page is None:  # unknown or not visible: the same answer, so nothing leaks
        raise Http404
    context = {
        "p": page,
        "history": readable_events((h.event, h.old_value, h.new_value) for h in page.history),
        "with_margin": with_margin,
        "figure": _figure(page, with_margin),
        **key_account_context(user=request.user, client=page.client, bound=bound),
        **score_panel_context(user=request.user, client=page.client),
    }
    return render(request, "web/clients/detail.html", context, status=status)


def _figure(page: ClientPage, with_margin: bool) -> dict[str, Any] | None:
    if not page.years:
        return None
    chronological = list(reversed(page.years))
    margins = [y.margin.amount if y.margin else None for y in chronological]
    return client_years_figure(
        [y.year for y in chronological],
        [y.revenue for y in chronological],
        margins if with_margin else None,
        labels={"revenue": _("Net revenue"), "margin": _("Gross margin")},
    )


app_name = "clients"
urlpatterns = [
    path("", client_list, name="list"),
    path("export.<str:fmt>", client_export, name="export"),
    path("<path:external_id>/", client_detail, name="detail"),
]
