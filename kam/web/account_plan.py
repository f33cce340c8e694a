"""The plan side of the key-account page: the plan, objectives, share of wallet, exports.

Tabs of /accounts/<external id>/: the plan at a glance (key facts, the current
plan and its versions, the draft → submitted → approved flow), objectives
against actuals (forecast to year end, status, proposals from the market
notes) and share of wallet; the plan as PDF and XLSX. Across accounts: the
market notes (/accounts/market/).

The forms only parse; kam.planning.services decides who may write and what
is valid: a refusal of the person is a 403, a refusal of the input a message
(or the form again with the reason, 400), nothing changed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kam.analytics.charts import BASE_LAYOUT
from kam.clients.access import ALL_CHANGING, can_see_margins
from kam.clients.models import Client
from kam.planning.actuals import ledger_as_of, year_actuals
from kam.planning.models import AccountPlan, MarketNote, Objective
from kam.planning.selectors import Account, plans_of
from kam.planning.services import (
    MARKET_ROLES,
    PLAN_TEXT,
    PlanningError,
    PlanningNotAllowedError,
    market_note_save,
    objectives_propose,
    plan_draft,
    plan_review,
    plan_submit,
    record_delete,
    record_save,
)
from kam.web.account_tabs import account_context
from kam.web.account_tabs import account_or_404 as _account
from kam.web.account_tabs import account_to_change as _changing
from kam.web.account_tabs import web_actor as _actor
from kam.web.plan_exports import pdf_response, xlsx_response
from kam.web.plan_sheet import (
    METHOD_NOTES,
    STATUS_NOTE,
    ObjectiveRow,
    WalletTable,
    chosen_year,
    confidence_label,
    facts_of,
    objective_rows,
    plan_years,
    sheet_of,
    wallet_table,
)
from kam.web.templatetags.kam_format import money, pct

app_name = "plan"

TEXT = forms.Textarea(attrs={"rows": 4})
HUNDRED = Decimal(100)


def _may_review(user: Any) -> bool:
    """Directors (and admins) approve plans: the rule of kam.planning.services.plan_review."""
    return bool(getattr(user, "is_active", False) and getattr(user, "role", None) in ALL_CHANGING)


def _plain(value: Decimal) -> str:
    """12.5000 -> '12.5' for a form's initial value."""
    return format(value.normalize(), "f")


def _url(name: str, client: Client, year: int, anchor: str = "") -> str:
    address = reverse(f"plan:{name}", args=[client.external_id]) + f"?year={year}"
    return f"{address}#{anchor}" if anchor else address


# --- forms -------------------------------------------------------------------------------


class PlanTextForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Summary"), widget=TEXT, required=False, max_length=20000
    )
    strategy = forms.CharField(
        label=gettext_lazy("The client's strategy"), widget=TEXT, required=False, max_length=20000
    )
    needs = forms.CharField(
        label=gettext_lazy("The client's needs"), widget=TEXT, required=False, max_length=20000
    )
    strengths = forms.CharField(
        label=gettext_lazy("Strengths"), widget=TEXT, required=False, max_length=20000
    )
    weaknesses = forms.CharField(
        label=gettext_lazy("Weaknesses"), widget=TEXT, required=False, max_length=20000
    )
    opportunities = forms.CharField(
        label=gettext_lazy("Opportunities"), widget=TEXT, required=False, max_length=20000
    )
    threats = forms.CharField(
        label=gettext_lazy("Threats"), widget=TEXT, required=False, max_length=20000
    )

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PLAN_TEXT}


class DraftForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(y, str(y)) for y in years]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=(
            ("approve", gettext_lazy("Approve")),
            ("return", gettext_lazy("Return to draft")),
        ),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Review note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
        help_text=gettext_lazy("Required when the plan goes back to draft."),
    )


class ObjectiveForm(forms.Form):
    """An objective; a share of wallet is entered in % and kept as 0-1."""

    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    measure = forms.ChoiceField(label=gettext_lazy("Measure"), choices=Objective.Measure.choices)
    category = forms.CharField(
        label=gettext_lazy("Category"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Blank: all categories."),
    )
    target = forms.DecimalField(
        label=gettext_lazy("Target"),
        max_digits=18,
        decimal_places=4,
        localize=True,
        help_text=gettext_lazy(
            "Money for revenue and margin, a quantity for volume, a percentage for share of "
            "wallet, a number of categories for range breadth."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )

    def __init__(
        self,
        data: Any = None,
        *,
        years: list[int],
        instance: Objective | None = None,
        prefix: str,
        year: int | None = None,
    ) -> None:
        initial: dict[str, Any] = {"year": year}
        if instance is not None:
            target = instance.target
            if instance.measure == Objective.Measure.SHARE_OF_WALLET:
                target = target * HUNDRED
            initial = {
                "year": instance.year,
                "measure": instance.measure,
                "category": instance.category,
                "target": _plain(target),
                "note": instance.note,
            }
        super().__init__(data, initial=initial, prefix=prefix)
        self.instance = instance
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(y, str(y)) for y in years]
        self.fields["category"].widget.attrs["list"] = "objective-categories"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        measure, target = data.get("measure"), data.get("target")
        if measure is None or target is None:
            return data
        if target < 0:
            self.add_error("target", _("The target cannot be negative."))
        elif measure == Objective.Measure.SHARE_OF_WALLET:
            if target > HUNDRED:
                self.add_error("target", _("A share of wallet is at most 100 %."))
            else:
                data["target"] = target / HUNDRED
        elif measure == Objective.Measure.RANGE and target != target.to_integral_value():
            self.add_error("target", _("Range breadth is a whole number of categories."))
        data["category"] = (data.get("category") or "").strip()
        return data

    def values(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("year", "measure", "category", "target", "note")}


class MarketNoteForm(forms.Form):
    """A market note; the growth assumption is entered in % and kept as a fraction."""

    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=1900, max_value=2999)
    segment = forms.CharField(
        label=gettext_lazy("Segment"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("A product category; blank: the whole market."),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    growth = forms.DecimalField(
        label=gettext_lazy("Assumed growth (%)"),
        required=False,
        max_digits=7,
        decimal_places=2,
        min_value=-100,
        max_value=1000,
        localize=True,
    )
    source = forms.CharField(label=gettext_lazy("Source"), required=False, max_length=255)
    noted_on = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, data: Any = None, *, instance: MarketNote | None = None, prefix: str
    ) -> None:
        initial: dict[str, Any] = {"noted_on": timezone.localdate()}
        if instance is not None:
            initial = {
                "year": instance.year,
                "segment": instance.segment,
                "title": instance.title,
                "body": instance.body,
                "growth": None if instance.growth is None else _plain(instance.growth * HUNDRED),
                "source": instance.source,
                "noted_on": instance.noted_on,
            }
        super().__init__(data, initial=initial, prefix=prefix)
        self.instance = instance
        self.fields["segment"].widget.attrs["list"] = "market-segments"

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["segment"] = (data.get("segment") or "").strip()
        growth = data.get("growth")
        data["growth"] = None if growth is None else growth / HUNDRED
        return data


# --- the plan tab ------------------------------------------------------------------------


def _overview_context(
    request: HttpRequest,
    account: Account,
    year: int,
    *,
    edit_form: PlanTextForm | None = None,
    review_form: ReviewForm | None = None,
) -> dict[str, Any]:
    client = account.client
    years, _default = plan_years(client)
    with_margin = can_see_margins(request.user)
    plans = list(plans_of(client, year).order_by("-version"))
    latest = plans[0] if plans else None
    shown = _shown_plan(request, plans)
    draft = latest if latest is not None and latest.status == AccountPlan.Status.DRAFT else None
    submitted = (
        latest if latest is not None and latest.status == AccountPlan.Status.SUBMITTED else None
    )
    may_change = account.can_change
    if draft is not None and may_change and edit_form is None:
        edit_form = PlanTextForm(initial={f: getattr(draft, f) for f in PLAN_TEXT})
    if submitted is not None and _may_review(request.user) and review_form is None:
        review_form = ReviewForm()
    swot = []
    if shown is not None:
        swot = [
            ("strengths", _("Strengths"), shown.strengths),
            ("weaknesses", _("Weaknesses"), shown.weaknesses),
            ("opportunities", _("Opportunities"), shown.opportunities),
            ("threats", _("Threats"), shown.threats),
        ]
    return account_context(
        account,
        "plan",
        year=year,
        years=years,
        facts=facts_of(client, year, with_margin=with_margin),
        with_margin=with_margin,
        plans=plans,
        plan=shown,
        swot=swot,
        draft=draft if may_change else None,
        edit_form=edit_form if draft is not None and may_change else None,
        may_draft=may_change and client.is_key_account and draft is None,
        draft_form=DraftForm(years=years, initial={"year": year}),
        submitted=submitted,
        review_form=review_form if submitted is not None and _may_review(request.user) else None,
    )


def _shown_plan(request: HttpRequest, plans: list[AccountPlan]) -> AccountPlan | None:
    """The version asked for (?version=), else the latest approved, else the latest."""
    asked = request.GET.get("version", "")
    for plan in plans:
        if asked and str(plan.version) == asked:
            return plan
    approved = [p for p in plans if p.status == AccountPlan.Status.APPROVED]
    return approved[0] if approved else (plans[0] if plans else None)


@login_required
@require_GET
def overview(request: HttpRequest, external_id: str) -> HttpResponse:
    """The account at a glance, for a meeting: facts, the plan, its versions and its flow."""
    account = _account(request, external_id)
    years, default = plan_years(account.client)
    year = chosen_year(request.GET.get("year"), years, default)
    context = _overview_context(request, account, year)
    return render(request, "web/account/plan.html", context)


def _plan_of(account: Account, pk: int) -> AccountPlan:
    return get_object_or_404(AccountPlan, pk=pk, client=account.client)


@login_required
@require_POST
def plan_draft_view(request: HttpRequest, external_id: str) -> HttpResponse:
    account = _changing(request, external_id)
    client = account.client
    years, default = plan_years(client)
    form = DraftForm(request.POST, years=years)
    if not form.is_valid():
        messages.error(request, _("Choose a year."))
        return redirect(_url("overview", client, default))
    year = form.cleaned_data["year"]
    try:
        plan = plan_draft(actor=_actor(request), client=client, year=year)
    except PlanningNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except PlanningError as error:
        messages.error(request, str(error))
        return redirect(_url("overview", client, year))
    messages.success(request, _("Version %(version)s drafted.") % {"version": plan.version})
    return redirect(_url("overview", client, year, "plan-edit"))


@login_required
@require_POST
def plan_edit(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
    account = _changing(request, external_id)
    plan = _plan_of(account, pk)
    form = PlanTextForm(request.POST)
    if form.is_valid():
        try:
            record_save(
                actor=_actor(request),
                client=account.client,
                model=AccountPlan,
                values=form.values(),
                instance=plan,
            )
        except PlanningNotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except PlanningError as error:
            form.add_error(None, str(error))
            if plan.status != AccountPlan.Status.DRAFT:  # the form is not shown: say it apart
                messages.error(request, str(error))
        else:
            messages.success(request, _("The draft is saved."))
            return redirect(_url("overview", account.client, plan.year, "plan-edit"))
    plan.refresh_from_db()
    context = _overview_context(request, account, plan.year, edit_form=form)
    return render(request, "web/account/plan.html", context, status=400)


@login_required
@require_POST
def plan_submit_view(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
    account = _changing(request, external_id)
    plan = _plan_of(account, pk)
    try:
        plan_submit(actor=_actor(request), plan=plan)
    except PlanningNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except PlanningError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The plan is submitted for approval."))
    return redirect(_url("overview", account.client, plan.year, "plan"))


@login_required
@require_POST
def plan_review_view(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
    account = _account(request, external_id)
    if not _may_review(request.user):
        raise PermissionDenied
    plan = _plan_of(account, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        context = _overview_context(request, account, plan.year, review_form=form)
        return render(request, "web/account/plan.html", context, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        plan_review(
            actor=_actor(request), plan=plan, approve=approve, note=form.cleaned_data["note"]
        )
    except PlanningNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except PlanningError as error:
        plan.refresh_from_db()
        form.add_error(None, str(error))
        context = _overview_context(request, account, plan.year, review_form=form)
        return render(request, "web/account/plan.html", context, status=400)
    if approve:
        messages.success(request, _("The plan is approved."))
    else:
        messages.success(request, _("The plan is back to draft, with your note."))
    return redirect(_url("overview", account.client, plan.year, "plan"))


# --- the objectives tab ------------------------------------------------------------------


def _cumulative_figure(
    client: Client, year: int, target: Decimal | None, *, labels: dict[str, str]
) -> dict[str, Any] | None:
    """Cumulative net revenue month by month: this year to date, last year, the objective."""
    monthly = year_actuals(client=client, year=year).monthly_revenue
    as_of = ledger_as_of()
    last_month = 0  # months of `year` the ledger covers
    if as_of is not None:
        reached = as_of - dt.timedelta(days=1)
        last_month = 12 if reached.year > year else (reached.month if reached.year == year else 0)
    months = [formats.date_format(dt.date(year, m, 1), "M") for m in range(1, 13)]

    def running(y: int, upto: int) -> list[float]:
        total, points = Decimal(0), []
        for m in range(1, upto + 1):
            total += monthly.get((y, m), Decimal(0))
            points.append(round(float(total), 2))
        return points

    previous = running(year - 1, 12) if any(k[0] == year - 1 for k in monthly) else []
    current = running(year, last_month)
    if not previous and not current and target is None:
        return None
    data: list[dict[str, Any]] = []
    if previous:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": months,
                "y": previous,
                "name": labels["previous"],
                "line": {"color": "#a9b4c0", "width": 2},
            }
        )
    if current:
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": months[: len(current)],
                "y": current,
                "name": labels["current"],
                "line": {"color": "#1f5f8b", "width": 3},
            }
        )
    if target is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [months[0], months[-1]],
                "y": [round(float(target), 2)] * 2,
                "name": labels["target"],
                "line": {"color": "#c0692b", "dash": "dash"},
            }
        )
    layout = {**BASE_LAYOUT, "xaxis": {"type": "category"}, "yaxis": {"rangemode": "tozero"}}
    return {"data": data, "layout": layout}


def _proposals(client: Client, year: int, objectives: list[Objective]) -> list[dict[str, Any]]:
    """Revenue objectives the market notes of `year` propose, from last year's revenue."""
    last = year_actuals(client=client, year=year - 1)
    actuals = {"": last.revenue, **{c: v for c, v in last.by_category.items() if c}}
    taken = {o.category for o in objectives if o.measure == Objective.Measure.REVENUE}
    return [
        {
            "category": category,
            "target": target,
            "note": note,
            "base": actuals[category],
            "taken": category in taken,
        }
        for category, target, note in objectives_propose(client=client, year=year, actuals=actuals)
    ]


def _objectives_context(
    request: HttpRequest,
    account: Account,
    year: int,
    *,
    bound: dict[str, ObjectiveForm] | None = None,
) -> dict[str, Any]:
    client = account.client
    years, _default = plan_years(client)
    bound = bound or {}
    with_margin = can_see_margins(request.user)
    rows = objective_rows(client, year, with_margin=with_margin)
    objectives = [r.objective for r in rows]

    def edit_form(row: ObjectiveRow) -> ObjectiveForm | None:
        if not account.can_change or row.hidden:
            return None
        prefix = f"objective-{row.objective.pk}"
        return bound.get(prefix) or ObjectiveForm(
            years=years, instance=row.objective, prefix=prefix
        )

    new_form = None
    if account.can_change:
        new_form = bound.get("objective-new") or ObjectiveForm(
            years=years, prefix="objective-new", year=year
        )
    revenue = next(
        (
            r.objective.target
            for r in rows
            if r.objective.measure == Objective.Measure.REVENUE and not r.objective.category
        ),
        None,
    )
    figure = _cumulative_figure(
        client,
        year,
        revenue,
        labels={
            "current": str(year),
            "previous": str(year - 1),
            "target": _("Revenue objective"),
        },
    )
    actuals = year_actuals(client=client, year=year)
    categories = sorted({*actuals.by_category, *(o.category for o in objectives)} - {""})
    return account_context(
        account,
        "objectives",
        year=year,
        years=years,
        rows=[(r, edit_form(r)) for r in rows],
        new_form=new_form,
        proposals=_proposals(client, year, objectives),
        figure=figure,
        method_notes=[note for _key, note in METHOD_NOTES],
        status_note=STATUS_NOTE,
        as_of=ledger_as_of(),
        categories=categories,
    )


@login_required
@require_GET
def objectives(request: HttpRequest, external_id: str) -> HttpResponse:
    """Objectives of the year against the actuals, with the forecast to year end."""
    account = _account(request, external_id)
    years, default = plan_years(account.client)
    year = chosen_year(request.GET.get("year"), years, default)
    return render(
        request, "web/account/objectives.html", _objectives_context(request, account, year)
    )


def _objective_save(request: HttpRequest, external_id: str, pk: int | None) -> HttpResponse:
    account = _changing(request, external_id)
    client = account.client
    years, default = plan_years(client)
    instance = get_object_or_404(Objective, pk=pk, client=client) if pk is not None else None
    prefix = f"objective-{pk if pk is not None else 'new'}"
    form = ObjectiveForm(request.POST, years=years, instance=instance, prefix=prefix)
    margin = instance is not None and instance.measure == Objective.Measure.MARGIN
    if margin and not can_see_margins(request.user):
        raise PermissionDenied
    if form.is_valid():
        try:
            saved = record_save(
                actor=_actor(request),
                client=client,
                model=Objective,
                values=form.values(),
                instance=instance,
            )
        except PlanningNotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except PlanningError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Objective saved."))
            return redirect(_url("objectives", client, saved.year, "objectives"))
    year = (
        instance.year
        if instance is not None
        else chosen_year(request.POST.get(f"{prefix}-year"), years, default)
    )
    context = _objectives_context(request, account, year, bound={prefix: form})
    return render(request, "web/account/objectives.html", context, status=400)


@login_required
@require_POST
def objective_add(request: HttpRequest, external_id: str) -> HttpResponse:
    return _objective_save(request, external_id, None)


@login_required
@require_POST
def objective_edit(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
    return _objective_save(request, external_id, pk)


@login_required
@require_POST
def objective_delete(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
    account = _changing(request, external_id)
    objective = get_object_or_404(Objective, pk=pk, client=account.client)
    year = objective.year
    try:
        record_delete(actor=_actor(request), instance=objective)
    except PlanningNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except PlanningError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Objective deleted."))
    return redirect(_url("objectives", account.client, year, "objectives"))


@login_required
@require_POST
def objective_adopt(request: HttpRequest, external_id: str) -> HttpResponse:
    """Adopt a proposal from the market: worked out again here, not taken from the form."""
    account = _changing(request, external_id)
    client = account.client
    years, default = plan_years(client)
    year = chosen_year(request.POST.get("year"), years, default)
    category = request.POST.get("category", "")
    note_id = request.POST.get("note", "")
    existing = list(Objective.objects.filter(client=client, year=year))
    found = next(
        (
            p
            for p in _proposals(client, year, existing)
            if p["category"] == category and str(p["note"].pk) == note_id
        ),
        None,
    )
    if found is None:
        messages.error(request, _("This proposal no longer holds: the market notes changed."))
        return redirect(_url("objectives", client, year, "proposals"))
    if found["taken"]:
        messages.error(request, _("This account has a revenue objective for it already."))
        return redirect(_url("objectives", client, year, "objectives"))
    note: MarketNote = found["note"]
    values = {
        "year": year,
        "measure": Objective.Measure.REVENUE,
        "category": category,
        "target": found["target"],
        "note": _("From the market note “%(title)s”: %(growth)s growth on %(base)s.")
        % {"title": note.title, "growth": pct(note.growth), "base": money(found["base"])},
        "proposed_from": note,
    }
    try:
        record_save(actor=_actor(request), client=client, model=Objective, values=values)
    except PlanningNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except PlanningError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Objective adopted."))
    return redirect(_url("objectives", client, year, "objectives"))


# --- the share of wallet tab -------------------------------------------------------------


def _wallet_figure(table: WalletTable, *, title: str) -> dict[str, Any] | None:
    if len(table.years) < 1 or not table.rows:
        return None
    palette = ("#1f5f8b", "#c0692b", "#4f9bd1", "#1d6b35", "#8a4fb3", "#b3261e", "#6b7785")
    data = []
    for i, row in enumerate(table.rows):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [str(y) for y in table.years],
                "y": [
                    None if c is None or c.share is None else round(c.share * 100, 1)
                    for c in row.cells
                ],
                "name": row.label,
                "line": {"color": palette[i % len(palette)]},
                "connectgaps": True,
            }
        )
    layout = {
        **BASE_LAYOUT,
        "xaxis": {"type": "category"},
        "yaxis": {"ticksuffix": " %", "rangemode": "tozero", "title": title},
    }
    return {"data": data, "layout": layout}


@login_required
@require_GET
def wallet(request: HttpRequest, external_id: str) -> HttpResponse:
    """Share of wallet per category and year, with its trend."""
    account = _account(request, external_id)
    table = wallet_table(account.client)
    with_margin = can_see_margins(request.user)
    rows = [
        (
            row,
            [(c, confidence_label(c.confidence) if c is not None else "") for c in row.cells],
        )
        for row in table.rows
    ]
    context = account_context(
        account,
        "wallet",
        table=table,
        rows=rows,
        with_margin=with_margin,
        figure=_wallet_figure(table, title=_("Share of wallet")),
        wallet_url=reverse("clients:detail", args=[account.client.external_id]) + "#key-account",
    )
    return render(request, "web/account/wallet.html", context)


# --- the market notes --------------------------------------------------------------------


def _may_keep_market(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "role", None) in MARKET_ROLES)


def _market_page(
    request: HttpRequest, *, bound: dict[str, MarketNoteForm] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    keeps = _may_keep_market(request.user)
    notes = list(MarketNote.objects.select_related("created_by").order_by("-year", "segment"))
    groups: list[tuple[int, list[tuple[MarketNote, MarketNoteForm | None]]]] = []
    for note in notes:
        form = None
        if keeps:
            prefix = f"note-{note.pk}"
            form = bound.get(prefix) or MarketNoteForm(instance=note, prefix=prefix)
        if not groups or groups[-1][0] != note.year:
            groups.append((note.year, []))
        groups[-1][1].append((note, form))
    new_form = None
    if keeps:
        new_form = bound.get("note-new") or MarketNoteForm(prefix="note-new")
    segments = sorted({n.segment for n in notes if n.segment})
    context = {"groups": groups, "new_form": new_form, "segments": segments, "keeps": keeps}
    return render(request, "web/account/market.html", context, status=status)


@login_required
@require_GET
def market(request: HttpRequest) -> HttpResponse:
    """Market notes and growth assumptions per year and segment."""
    return _market_page(request)


def _market_save(request: HttpRequest, instance: MarketNote | None) -> HttpResponse:
    if not _may_keep_market(request.user):
        raise PermissionDenied
    prefix = f"note-{instance.pk}" if instance is not None else "note-new"
    form = MarketNoteForm(request.POST, instance=instance, prefix=prefix)
    if form.is_valid():
        try:
            note = market_note_save(actor=_actor(request), values=form.values(), instance=instance)
        except PlanningNotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except PlanningError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Market note saved: %(title)s.") % {"title": note.title})
            return redirect(reverse("plan:market") + f"#note-{note.pk}")
    return _market_page(request, bound={prefix: form}, status=400)


@login_required
@require_POST
def market_add(request: HttpRequest) -> HttpResponse:
    return _market_save(request, None)


@login_required
@require_POST
def market_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_keep_market(request.user):
        raise PermissionDenied
    return _market_save(request, get_object_or_404(MarketNote, pk=pk))


# --- exports -----------------------------------------------------------------------------


def _export_year(request: HttpRequest, account: Account) -> int:
    years, default = plan_years(account.client)
    return chosen_year(request.GET.get("year"), years, default)


@login_required
@require_GET
def plan_pdf(request: HttpRequest, external_id: str) -> HttpResponse:
    """The account plan as a printable PDF, in the person's language."""
    account = _account(request, external_id)
    sheet = sheet_of(account, _export_year(request, account), request.user)
    return pdf_response(request, sheet)


@login_required
@require_GET
def plan_xlsx(request: HttpRequest, external_id: str) -> FileResponse:
    """The account plan as a workbook, in the person's language; every text cell formula-safe."""
    account = _account(request, external_id)
    sheet = sheet_of(account, _export_year(request, account), request.user)
    return xlsx_response(sheet)


urlpatterns: list[URLPattern] = [
    # before "<external id>/", which would take "market" for a client's id
    path("market/", market, name="market"),
    path("market/new/", market_add, name="market_add"),
    path("market/<int:pk>/", market_edit, name="market_edit"),
    path("<str:external_id>/", overview, name="overview"),
    path("<str:external_id>/plan/new/", plan_draft_view, name="plan_draft"),
    path("<str:external_id>/plan/<int:pk>/", plan_edit, name="plan_edit"),
    path("<str:external_id>/plan/<int:pk>/submit/", plan_submit_view, name="plan_submit"),
    path("<str:external_id>/plan/<int:pk>/review/", plan_review_view, name="plan_review"),
    path("<str:external_id>/plan.pdf", plan_pdf, name="pdf"),
    path("<str:external_id>/plan.xlsx", plan_xlsx, name="xlsx"),
    path("<str:external_id>/objectives/", objectives, name="objectives"),
    path("<str:external_id>/objectives/new/", objective_add, name="objective_add"),
    path("<str:external_id>/objectives/adopt/", objective_adopt, name="objective_adopt"),
    path("<str:external_id>/objectives/<int:pk>/", objective_edit, name="objective_edit"),
    path(
        "<str:external_id>/objectives/<int:pk>/delete/", objective_delete, name="objective_delete"
    ),
    path("<str:external_id>/wallet/", wallet, name="wallet"),
]
