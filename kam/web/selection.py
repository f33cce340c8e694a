"""Choosing key accounts: the ranked candidates, the portfolio matrix, scoring models.

The scores are kam.accounts.selectors' (the whole year's population, the same
for every viewer); each page shows only the clients the person may see. Raw
margin and wallet figures (margin %, potential) are shown only to those who
may see margins. Scoring models are changed by a director through
kam.accounts.services, which checks, audits and refuses with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.models import ScoringModel
from kam.accounts.selectors import (
    Candidate,
    CandidateFilters,
    Figures,
    Scores,
    candidate_of,
    candidates,
    scores_of,
    scoring_model_get,
    scoring_models,
    scoring_years,
)
from kam.accounts.services import (
    AccountsError,
    NotAllowedError,
    scoring_model_delete,
    scoring_model_save,
)
from kam.analytics.client_selectors import client_countries, client_managers
from kam.analytics.core.portfolio import Quadrant
from kam.analytics.core.scoring import CRITERIA, weights_normalise
from kam.analytics.portfolio_charts import QUADRANT_COLOURS, MatrixPoint, matrix_figure
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.access import can_see_margins
from kam.clients.models import Client
from kam.common.exports import safe_cell
from kam.web.key_account import may_decide
from kam.web.table_exports import csv_response, share, xlsx_response
from kam.web.templatetags import kam_format

PER_PAGE = 50
EXPORT_FORMATS = ("csv", "xlsx")
SORTS = ("score", "revenue", "growth", "name")

CRITERION_LABELS: dict[str, Any] = {
    "volume": gettext_lazy("Purchase volume"),
    "profitability": gettext_lazy("Profitability"),
    "growth": gettext_lazy("Growth"),
    "price_sensitivity": gettext_lazy("Price sensitivity"),
    "partnership": gettext_lazy("Partnership intent"),
    "potential": gettext_lazy("Potential"),
}
QUADRANT_LABELS: dict[str, Any] = {
    Quadrant.STRATEGIC.value: gettext_lazy("Strategic"),
    Quadrant.STAR.value: gettext_lazy("Star"),
    Quadrant.STATUS.value: pgettext_lazy("portfolio quadrant", "Status"),
    Quadrant.STREAMLINE.value: gettext_lazy("Streamline"),
}


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, interface=AuditEvent.Interface.WEB)


# --- the ranked candidates --------------------------------------------------------------


class SelectionForm(forms.Form):
    """The list's query string; an invalid value is ignored rather than refused."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, required=False)
    model = forms.TypedChoiceField(
        label=gettext_lazy("Scoring model"), coerce=int, required=False, empty_value=None
    )
    abc = forms.ChoiceField(label=gettext_lazy("Class"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    manager = forms.TypedChoiceField(
        label=gettext_lazy("Key-account manager"), coerce=int, required=False, empty_value=None
    )
    quadrant = forms.ChoiceField(label=gettext_lazy("Quadrant"), required=False)
    missing = forms.ChoiceField(label=gettext_lazy("Missing criterion"), required=False)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        years: list[int],
        models: list[ScoringModel],
        countries: list[str],
        managers: Any,
    ) -> None:
        super().__init__(data)
        everything = ("", _("All"))
        self._choices("year", [(y, str(y)) for y in years])
        self._choices("model", [(m.pk, m.name) for m in models])
        self._choices("abc", [everything, ("A", "A"), ("B", "B"), ("C", "C")])
        self._choices(
            "status", [everything, ("key", _("Key accounts")), ("candidate", _("Candidates"))]
        )
        self._choices("country", [everything, *((c, c) for c in countries)])
        self._choices("manager", [everything, *((m.pk, str(m)) for m in managers)])
        self._choices("quadrant", [everything, *QUADRANT_LABELS.items()])
        self._choices("missing", [("", _("Any")), *CRITERION_LABELS.items()])
        self._choices(
            "sort",
            [
                ("score", _("Score")),
                ("revenue", _("Net revenue")),
                ("growth", _("Growth")),
                ("name", _("Name")),
            ],
        )
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        self.years = years
        self.models = {m.pk: m for m in models}

    def _choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def _clean(self) -> dict[str, Any]:
        """The valid values; each invalid one falls back to its default."""
        self.is_valid()
        return self.cleaned_data

    @property
    def chosen_year(self) -> int | None:
        return self._clean().get("year") or (self.years[0] if self.years else None)

    @property
    def chosen_model(self) -> ScoringModel:
        chosen = self._clean().get("model")
        return self.models[chosen] if chosen in self.models else scoring_model_get(None)

    def filters(self) -> CandidateFilters:
        data = self._clean()
        return CandidateFilters(
            query=data.get("q") or "",
            abc_class=data.get("abc") or "",
            status=data.get("status") or "",
            country=data.get("country") or "",
            manager_id=data.get("manager"),
            quadrant=data.get("quadrant") or "",
            missing=data.get("missing") or "",
            sort=data.get("sort") or "score",
        )


def _selection_form(request: HttpRequest) -> SelectionForm:
    return SelectionForm(
        request.GET,
        years=scoring_years(),
        models=scoring_models(),
        countries=client_countries(user=request.user),
        managers=client_managers(user=request.user),
    )


@dataclass(frozen=True, slots=True)
class Segment:
    """One criterion's share of the score bar."""

    criterion: str
    label: str
    points: float


@dataclass(frozen=True, slots=True)
class CriterionValue:
    criterion: str
    label: str
    value: float | None  # 0-100; None = missing


@dataclass(frozen=True, slots=True)
class Row:
    """One ranked client as the list shows it."""

    candidate: Candidate
    url: str
    segments: list[Segment]
    values: list[CriterionValue]
    missing: list[str]
    quadrant: str

    @property
    def client(self) -> Client:
        return self.candidate.client

    @property
    def f(self) -> Figures:
        return self.candidate.figures

    @property
    def bar_text(self) -> str:
        """The bar in words, for those who do not see it."""
        parts = [f"{s.label} {s.points:.1f}" for s in self.segments]
        return "; ".join(parts) if parts else _("no criterion available")


def _segments(f: Figures) -> list[Segment]:
    return [
        Segment(c, str(CRITERION_LABELS[c]), f.score.contributions[c])
        for c in CRITERIA
        if c in f.score.contributions
    ]


def _rows(found: Iterable[Candidate]) -> list[Row]:
    prefix = reverse("clients:list")
    return [
        Row(
            candidate=c,
            url=f"{prefix}{quote(c.client.external_id)}/",
            segments=_segments(c.figures),
            values=[
                CriterionValue(c_, str(CRITERION_LABELS[c_]), c.figures.criteria.get(c_))
                for c_ in CRITERIA
            ],
            missing=[str(CRITERION_LABELS[m]) for m in c.figures.score.missing],
            quadrant=str(QUADRANT_LABELS[c.figures.quadrant.value]) if c.figures.quadrant else "",
        )
        for c in found
    ]


def _query(request: HttpRequest, *, drop: tuple[str, ...] = (), **values: str) -> str:
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


def _page_number(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


@login_required
@require_GET
def selection_list(request: HttpRequest) -> HttpResponse:
    """The clients the person may see, ranked by score; htmx gets the table alone."""
    form = _selection_form(request)
    year, model, filters = form.chosen_year, form.chosen_model, form.filters()
    with_margin = can_see_margins(request.user)
    scores: Scores | None = None
    found: list[Candidate] = []
    if year is not None:
        scores, found = candidates(user=request.user, year=year, model=model, filters=filters)
    page = Paginator(found, PER_PAGE).get_page(_page_number(request))
    partial = bool(getattr(request, "htmx", False))
    context = {
        "partial": partial,
        "form": form,
        "year": year,
        "model": model,
        "filters": filters,
        "scores": scores,
        "population": len(scores.by_client) if scores else 0,
        "page": page,
        "rows": _rows(page.object_list),
        "with_margin": with_margin,
        "criteria": [(c, CRITERION_LABELS[c]) for c in CRITERIA],
        "weights": _weights(model),
        "sort_urls": {s: "?" + _query(request, drop=("page",), sort=s) for s in SORTS},
        "query": _query(request, drop=("page",)),
        "may_decide": may_decide(request.user),
    }
    template = "web/selection/_table.html" if partial else "web/selection/list.html"
    return render(request, template, context)


def _weights(model: ScoringModel) -> list[tuple[str, Any, float]]:
    """(criterion, label, weight 0-1) of the model."""
    normal = weights_normalise(model.weights)
    return [(c, CRITERION_LABELS[c], normal[c]) for c in CRITERIA]


# --- the export -------------------------------------------------------------------------


def _export_header(*, with_margin: bool) -> list[str]:
    header = [_("Rank"), _("Client id"), _("Name"), _("Score"), _("Coverage")]
    header += [str(CRITERION_LABELS[c]) for c in CRITERIA]
    header += [_("Net revenue"), _("Growth")]
    if with_margin:
        header += [_("Margin %")]
    header += [_("Average discount"), _("Partnership intent")]
    if with_margin:
        header += [_("Potential amount")]
    header += [_("Class"), _("Key account"), _("Tier"), _("Manager"), _("Quadrant")]
    return [*header, _("Missing criteria")]


def _export_cells(row: Row, *, with_margin: bool) -> list[Any]:
    f, client = row.f, row.client
    cells: list[Any] = [f.rank, safe_cell(client.external_id), safe_cell(client.name)]
    cells += [_round(f.score.total), round(f.score.coverage, 4)]
    cells += [_round(f.criteria.get(c)) for c in CRITERIA]  # missing: an empty cell
    cells += [f.revenue, None if f.growth is None else round(f.growth, 4)]
    if with_margin:
        cells += [share(f.margin_percent)]
    cells += [None if f.discount is None else round(f.discount, 4), f.partnership]
    if with_margin:
        cells += [f.potential]
    key = _("yes") if client.is_key_account else ""
    texts = [
        f.abc_class,
        key,
        client.tier if client.is_key_account else "",
        str(client.manager) if client.manager else "",
        row.quadrant,
        ", ".join(row.missing),
    ]
    return [*cells, *(safe_cell(t) for t in texts)]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@login_required
@require_GET
def selection_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list (every page) as CSV or XLSX (?format=); every text cell is formula-safe."""
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    form = _selection_form(request)
    year, model = form.chosen_year, form.chosen_model
    with_margin = can_see_margins(request.user)
    found: list[Candidate] = []
    if year is not None:
        found = candidates(user=request.user, year=year, model=model, filters=form.filters())[1]
    rows = _rows(found)
    name = f"selection-{year or 'none'}.{fmt}"
    cells = (_export_cells(row, with_margin=with_margin) for row in rows)
    if fmt == "csv":
        return csv_response(_export_header(with_margin=with_margin), cells, name)
    return xlsx_response(_export_header(with_margin=with_margin), cells, name, sheet=_("Selection"))


# --- the score panel of the client page -------------------------------------------------


def score_panel_context(*, user: Any, client: Client, year: int | None = None) -> dict[str, Any]:
    """What web/selection/_score_panel.html shows of one client's score with the default model.

    `score_panel` is None when the client has no revenue in the year (or the
    person may not see it): the panel then says so.
    """
    years = scoring_years()
    if year is None:
        year = years[0] if years else None
    panel: dict[str, Any] | None = None
    if year is not None:
        found = candidate_of(user=user, client=client, year=year)
        if found is not None:
            panel = _panel(found, year=year, with_margin=can_see_margins(user))
    return {"score_panel": panel, "score_panel_year": year}


def _panel(found: Candidate, *, year: int, with_margin: bool) -> dict[str, Any]:
    f = found.figures
    model = scoring_model_get(None)
    normal = weights_normalise(model.weights)
    criteria = [
        {
            "criterion": c,
            "label": CRITERION_LABELS[c],
            "raw": _raw(c, f, with_margin=with_margin),
            "value": f.criteria.get(c),
            "weight": normal[c],
            "contribution": f.score.contributions.get(c),
            "missing": c in f.score.missing,
        }
        for c in CRITERIA
    ]
    previous = found.previous
    return {
        "year": year,
        "model": model,
        "figures": f,
        "total": f.score.total,
        "coverage": f.score.coverage,
        "rank": f.rank,
        "count": _population(year),
        "criteria": criteria,
        "segments": _segments(f),
        "bar_text": _rows([found])[0].bar_text,
        "missing": [CRITERION_LABELS[m] for m in f.score.missing],
        "quadrant": QUADRANT_LABELS[f.quadrant.value] if f.quadrant else None,
        "strength": f.strength,
        "previous_quadrant": QUADRANT_LABELS[previous.quadrant.value]
        if previous and previous.quadrant
        else None,
        "moved": found.moved,
        "with_margin": with_margin,
        "list_url": reverse("selection:list") + f"?year={year}",
    }


def _population(year: int) -> int:
    return len(scores_of(year=year).by_client)


def _raw(criterion: str, f: Figures, *, with_margin: bool) -> dict[str, Any]:
    """The raw input behind a criterion: {"kind": how to show it, "value": ...}."""
    if criterion == "volume":
        return {"kind": "money", "value": f.revenue}
    if criterion == "profitability":
        if not with_margin:
            return {"kind": "hidden", "value": None}
        return {"kind": "margin", "value": f.margin, "percent": f.margin_percent}
    if criterion == "growth":
        return {"kind": "pct", "value": f.growth}
    if criterion == "price_sensitivity":
        return {"kind": "discount", "value": f.discount}
    if criterion == "partnership":
        return {"kind": "rating", "value": f.partnership}
    if not with_margin:
        return {"kind": "hidden", "value": None}
    return {"kind": "money", "value": f.potential, "wallet": f.wallet}


# --- scoring models ---------------------------------------------------------------------


class ScoringModelForm(forms.Form):
    """A named model: a weight per criterion (any numbers ≥ 0; they are made to sum to 100 %)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=255, required=False)
    attractiveness_threshold = forms.FloatField(
        label=gettext_lazy("Attractiveness threshold"),
        min_value=0,
        max_value=100,
        initial=50,
        help_text=gettext_lazy("A score at or above it counts as attractive (0-100)."),
    )
    strength_threshold = forms.FloatField(
        label=gettext_lazy("Strength threshold"),
        min_value=0,
        max_value=100,
        initial=50,
        help_text=gettext_lazy("Our strength at or above it counts as strong (0-100)."),
    )
    is_default = forms.BooleanField(label=gettext_lazy("Default model"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for c in CRITERIA:
            self.fields[f"weight_{c}"] = forms.DecimalField(
                label=_("Weight: %(criterion)s") % {"criterion": CRITERION_LABELS[c]},
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=4,
                initial=Decimal(1),
            )
        order = ["name", "description", *(f"weight_{c}" for c in CRITERIA)]
        self.order_fields([*order, "attractiveness_threshold", "strength_threshold", "is_default"])

    @classmethod
    def of(cls, model: ScoringModel) -> ScoringModelForm:
        normal = weights_normalise(model.weights)
        initial: dict[str, Any] = {
            "name": model.name,
            "description": model.description,
            "attractiveness_threshold": model.attractiveness_threshold,
            "strength_threshold": model.strength_threshold,
            "is_default": model.is_default,
        }
        for c in CRITERIA:
            initial[f"weight_{c}"] = Decimal(str(round(normal[c] * 100, 2)))
        return cls(initial=initial)

    def weights(self) -> dict[str, float]:
        return {c: float(self.cleaned_data[f"weight_{c}"]) for c in CRITERIA}

    @property
    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{c}"] for c in CRITERIA]

    @property
    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("weight_")]


def _director_only(request: HttpRequest) -> None:
    """Refuse early, before reading the form; the service checks again when it writes."""
    if not may_decide(request.user):
        raise PermissionDenied


@login_required
@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    """The scoring models; a director may add, change and delete them."""
    rows = [
        {"model": m, "weights": _weights(m), "in_use_url": reverse("selection:list")}
        for m in scoring_models()
    ]
    context = {
        "models": rows,
        "criteria": [(c, CRITERION_LABELS[c]) for c in CRITERIA],
        "may_decide": may_decide(request.user),
    }
    return render(request, "web/selection/models.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def model_new(request: HttpRequest) -> HttpResponse:
    _director_only(request)
    return _model_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _director_only(request)
    return _model_form(request, get_object_or_404(ScoringModel, pk=pk))


def _model_form(request: HttpRequest, model: ScoringModel | None) -> HttpResponse:
    if request.method != "POST":
        form = ScoringModelForm.of(model) if model else ScoringModelForm()
        return _model_page(request, form, model)
    form = ScoringModelForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = scoring_model_save(
                actor=_actor(request),
                name=data["name"],
                description=data["description"],
                weights=form.weights(),
                attractiveness_threshold=data["attractiveness_threshold"],
                strength_threshold=data["strength_threshold"],
                is_default=data["is_default"],
                model=model,
            )
        except NotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except AccountsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Scoring model “%(name)s” saved.") % {"name": saved.name})
            return redirect("selection:models")
    return _model_page(request, form, model, status=400)


def _model_page(
    request: HttpRequest, form: ScoringModelForm, model: ScoringModel | None, *, status: int = 200
) -> HttpResponse:
    context = {"form": form, "model": model}
    return render(request, "web/selection/model_form.html", context, status=status)


@login_required
@require_POST
def model_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _director_only(request)
    model = get_object_or_404(ScoringModel, pk=pk)
    try:
        scoring_model_delete(actor=_actor(request), model=model)
    except NotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except AccountsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Scoring model “%(name)s” deleted.") % {"name": model.name})
    return redirect("selection:models")


# --- the portfolio matrix ---------------------------------------------------------------

MATRIX_LIMIT = 100
MATRIX_LIMIT_MAX = 1000
MATRIX_COLOURS = ("quadrant", "status")
QUADRANT_ADVICE: dict[str, Any] = {
    Quadrant.STRATEGIC.value: gettext_lazy(
        "Attractive, and we are strong: invest, deepen the partnership, plan jointly."
    ),
    Quadrant.STAR.value: gettext_lazy(
        "Attractive, but we are weak: invest selectively to win share of wallet."
    ),
    Quadrant.STATUS.value: gettext_lazy(
        "Less attractive, and we are strong: maintain the relationship and serve it efficiently."
    ),
    Quadrant.STREAMLINE.value: gettext_lazy(
        "Less attractive, and we are weak: serve at low cost, through standard channels."
    ),
}


class MatrixForm(forms.Form):
    """The matrix's query string; an invalid value falls back to its default."""

    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, required=False)
    model = forms.TypedChoiceField(
        label=gettext_lazy("Scoring model"), coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(label=gettext_lazy("Clients"), required=False)
    limit = forms.IntegerField(
        label=gettext_lazy("Bubbles (top by score)"),
        min_value=1,
        max_value=MATRIX_LIMIT_MAX,
        required=False,
    )
    colour = forms.ChoiceField(label=gettext_lazy("Colour by"), required=False)
    movement = forms.ChoiceField(
        label=gettext_lazy("Movement since the year before"), required=False
    )

    def __init__(self, data: Any, *, years: list[int], models: list[ScoringModel]) -> None:
        super().__init__(data)
        self._set("year", [(y, str(y)) for y in years])
        self._set("model", [(m.pk, m.name) for m in models])
        self._set("status", [("", _("All")), ("key", _("Key accounts only"))])
        self._set("colour", [("quadrant", _("Quadrant")), ("status", _("Key-account status"))])
        self._set(
            "movement",
            [("key", _("Key accounts")), ("all", _("All clients")), ("none", _("None"))],
        )
        self.fields["limit"].widget.attrs.update({"inputmode": "numeric", "size": "5"})
        self.years = years
        self.models = {m.pk: m for m in models}
        self.is_valid()

    def _set(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def value(self, name: str, default: Any) -> Any:
        found = self.cleaned_data.get(name)
        return default if found in (None, "") else found

    @property
    def chosen_year(self) -> int | None:
        return self.value("year", self.years[0] if self.years else None)  # type: ignore[no-any-return]

    @property
    def chosen_model(self) -> ScoringModel:
        chosen = self.cleaned_data.get("model")
        return self.models[chosen] if chosen in self.models else scoring_model_get(None)


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One client of the matrix as the table shows it."""

    candidate: Candidate
    url: str
    quadrant: str
    previous_quadrant: str
    strength_made: str
    movement: str
    previous: tuple[float, float] | None  # (strength, score) the year before

    @property
    def client(self) -> Client:
        return self.candidate.client

    @property
    def f(self) -> Figures:
        return self.candidate.figures


def _client_url(client: Client) -> str:
    return f"{reverse('clients:list')}{quote(client.external_id)}/"


def _previous_position(c: Candidate) -> tuple[float, float] | None:
    p = c.previous
    if p is None or p.strength is None or p.score.total is None:
        return None
    return p.strength, p.score.total


def _strength_made(f: Figures, *, with_margin: bool) -> str:
    """How the strength was made: share of wallet and/or the position rating."""
    parts: list[str] = []
    if f.share_of_wallet is not None:
        if with_margin:
            share = kam_format.pct(f.share_of_wallet, 0)
            parts.append(_("share of wallet %(share)s") % {"share": share})
        else:
            parts.append(_("share of wallet"))
    if f.position is not None:
        parts.append(_("position %(rating)s/5") % {"rating": f.position})
    return " · ".join(parts)


def _movement(c: Candidate, previous: tuple[float, float] | None, year: int) -> str:
    f = c.figures
    if previous is None or c.previous is None or c.previous.quadrant is None:
        return _("no position in %(year)s") % {"year": year - 1}
    d_score = (f.score.total or 0.0) - previous[1]
    d_strength = (f.strength or 0.0) - previous[0]
    deltas = _("score %(score)s, strength %(strength)s") % {
        "score": _signed(d_score),
        "strength": _signed(d_strength),
    }
    if c.moved and f.quadrant is not None:
        return _("%(before)s → %(now)s (%(deltas)s)") % {
            "before": QUADRANT_LABELS[c.previous.quadrant.value],
            "now": QUADRANT_LABELS[f.quadrant.value],
            "deltas": deltas,
        }
    return _("stayed (%(deltas)s)") % {"deltas": deltas}


def _signed(value: float) -> str:
    shown = kam_format.number(abs(value), 1)
    return f"+{shown}" if value >= 0.05 else (f"−{shown}" if value <= -0.05 else "±0")


def _matrix_rows(found: Iterable[Candidate], *, year: int, with_margin: bool) -> list[MatrixRow]:
    rows: list[MatrixRow] = []
    for c in found:
        f, before = c.figures, c.previous
        previous = _previous_position(c)
        rows.append(
            MatrixRow(
                candidate=c,
                url=_client_url(c.client),
                quadrant=str(QUADRANT_LABELS[f.quadrant.value]) if f.quadrant else "",
                previous_quadrant=str(QUADRANT_LABELS[before.quadrant.value])
                if before and before.quadrant
                else "",
                strength_made=_strength_made(f, with_margin=with_margin),
                movement=_movement(c, previous, year),
                previous=previous,
            )
        )
    return rows


def _matrix_points(rows: list[MatrixRow]) -> list[MatrixPoint]:
    currency = settings.KAM_CURRENCY
    return [
        MatrixPoint(
            url=row.url,
            name=row.client.name,
            strength=row.f.strength or 0.0,
            attractiveness=row.f.score.total or 0.0,
            revenue=row.f.revenue,
            quadrant=row.f.quadrant or Quadrant.STREAMLINE,
            is_key=row.client.is_key_account,
            hover=(
                f"{row.client.name} ({row.client.external_id})",
                kam_format.number(row.f.score.total, 1),
                kam_format.number(row.f.strength, 0),
                f"{kam_format.money(row.f.revenue)} {currency}",
                row.quadrant,
            ),
            previous=row.previous,
        )
        for row in rows
    ]


def _matrix_figure(
    rows: list[MatrixRow], scores: Scores, *, colour_by: str, movement: str
) -> dict[str, Any]:
    labels = {
        "x": _("Our relative strength (0-100)"),
        "y": _("Customer attractiveness: the score (0-100)"),
        "key": _("Key account"),
        "other": _("Other client"),
        **{q: str(label) for q, label in QUADRANT_LABELS.items()},
    }
    hover = {
        "score": _("Score"),
        "strength": _("Strength"),
        "revenue": _("Net revenue"),
        "quadrant": _("Quadrant"),
    }
    return matrix_figure(
        _matrix_points(rows),
        thresholds=scores.thresholds,
        labels=labels,
        hover=hover,
        colour_by=colour_by,
        movement=movement,
    )


@login_required
@require_GET
def matrix(request: HttpRequest) -> HttpResponse:
    """The portfolio matrix of the clients the person may see: score against our strength."""
    form = MatrixForm(request.GET, years=scoring_years(), models=scoring_models())
    year, model = form.chosen_year, form.chosen_model
    limit: int = form.value("limit", MATRIX_LIMIT)
    colour_by: str = form.value("colour", "quadrant")
    movement: str = form.value("movement", "key")
    key_only = form.value("status", "") == "key"
    with_margin = can_see_margins(request.user)
    context: dict[str, Any] = {
        "form": form,
        "year": year,
        "model": model,
        "limit": limit,
        "movement": movement,
        "key_only": key_only,
        "with_margin": with_margin,
        "may_decide": may_decide(request.user),
        "model_url": reverse("selection:model_edit", args=[model.pk])
        if may_decide(request.user)
        else reverse("selection:models"),
    }
    if year is not None:
        scores, found = candidates(
            user=request.user,
            year=year,
            model=model,
            filters=CandidateFilters(status="key" if key_only else ""),
            with_previous=True,
        )
        placed = [c for c in found if c.figures.quadrant is not None]
        unplaced = [c for c in found if c.figures.quadrant is None]
        rows = _matrix_rows(placed[:limit], year=year, with_margin=with_margin)
        counts = {q.value: 0 for q in Quadrant}
        for row in rows:
            if row.f.quadrant is not None:
                counts[row.f.quadrant.value] += 1
        context.update(
            {
                "scores": scores,
                "thresholds": scores.thresholds,
                "figure": _matrix_figure(rows, scores, colour_by=colour_by, movement=movement)
                if rows
                else None,
                "rows": rows,
                "placed": len(placed),
                "moved": sum(1 for row in rows if row.previous is not None),
                "quadrants": [
                    {
                        "value": q.value,
                        "label": QUADRANT_LABELS[q.value],
                        "advice": QUADRANT_ADVICE[q.value],
                        "count": counts[q.value],
                        "colour": QUADRANT_COLOURS[q],
                    }
                    for q in Quadrant
                ],
                "unplaced": len(unplaced),
                "unplaced_rows": [
                    {"client": c.client, "url": _client_url(c.client), "figures": c.figures}
                    for c in unplaced[:limit]
                ],
            }
        )
    return render(request, "web/selection/matrix.html", context)


app_name = "selection"
urlpatterns: list[URLPattern] = [
    # the ranked candidates and their export
    path("", selection_list, name="list"),
    path("export/", selection_export, name="export"),
    # scoring models
    path("models/", model_list, name="models"),
    path("models/new/", model_new, name="model_new"),
    path("models/<int:pk>/", model_edit, name="model_edit"),
    path("models/<int:pk>/delete/", model_delete, name="model_delete"),
    # the portfolio matrix
    path("matrix/", matrix, name="matrix"),
]
