"""The work side of the key-account page, and the pages across accounts it feeds.

Tabs of /accounts/<external id>/: the buying centre (people, org chart,
coverage gaps, purchasing steps), deals (pipeline against the revenue
objective's gap, negotiation log), competitors (presence, actions) and the
action plan (tasks and asks to internal functions). Across accounts: my tasks
(/accounts/queue/), the competitor log (/accounts/competitors/) and white space
(/accounts/white-space/).

The forms only parse; kam.planning.services decides who may write and what
is valid: a refusal of the person is a 403, a refusal of the input the page
again with the reason (400), nothing changed. A person who may see but not
change an account sees no forms; the owner of a task changes its status even
without access to the account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kam.analytics.core.whitespace import Recommendation
from kam.analytics.selectors import available_years
from kam.clients.access import editable_clients, visible_clients
from kam.clients.models import Client
from kam.ledger.selectors import ledger_store
from kam.people.models import Function, User
from kam.planning.actuals import account_months_ensure, objectives_progress
from kam.planning.models import (
    Competitor,
    CompetitorAction,
    CompetitorPresence,
    NegotiationEntry,
    Objective,
    Opportunity,
    PurchasingStep,
    Stakeholder,
    Task,
)
from kam.planning.selectors import (
    Account,
    StakeholderNode,
    buying_centre,
    competitor_actions,
    is_overdue,
    pipeline,
    queue_of,
    tasks_of,
    white_space,
)
from kam.planning.services import (
    MARKET_ROLES,
    PlanningError,
    PlanningNotAllowedError,
    competitor_save,
    market_action_save,
    may_log_market,
    opportunity_competitors_set,
    record_delete,
    record_save,
)
from kam.web.account_tabs import account_context
from kam.web.account_tabs import account_or_404 as _account
from kam.web.account_tabs import account_to_change as _changing
from kam.web.account_tabs import web_actor as _actor
from kam.web.work_forms import (
    AskForm,
    CompetitorActionForm,
    CompetitorForm,
    DealForm,
    LogFilterForm,
    MarketActionForm,
    NegotiationForm,
    Picks,
    PresenceForm,
    RecordForm,
    StakeholderForm,
    StatusForm,
    StepForm,
    TaskForm,
)

app_name = "work"

LOG_PER_PAGE = 50
LOG_ON_TAB = 100
ZERO = Decimal(0)


@dataclass(frozen=True)
class Kind:
    """One kind of per-account record the work tabs keep."""

    model: type[models.Model]
    form: type[RecordForm]
    tab: str  # the tab that shows it
    anchor: str  # where on the tab
    options: tuple[str, ...]  # the Picks its form offers
    changes: bool = True  # False: a log, only added to


KINDS: dict[str, Kind] = {
    "stakeholder": Kind(
        Stakeholder, StakeholderForm, "buying", "people", ("stakeholders", "people")
    ),
    "step": Kind(PurchasingStep, StepForm, "buying", "steps", ("stakeholders",)),
    "deal": Kind(Opportunity, DealForm, "deals", "deals", ("people", "competitors")),
    "negotiation": Kind(
        NegotiationEntry, NegotiationForm, "deals", "negotiation", ("deals",), changes=False
    ),
    "presence": Kind(CompetitorPresence, PresenceForm, "competitors", "present", ("competitors",)),
    "competitor_action": Kind(
        CompetitorAction,
        CompetitorActionForm,
        "competitors",
        "actions-log",
        ("competitors",),
        changes=False,
    ),
    "task": Kind(Task, TaskForm, "actions", "tasks", ("objectives", "owners")),
    "ask": Kind(Task, AskForm, "actions", "tasks", ("objectives", "owners"), changes=False),
}


# --- what the forms offer ----------------------------------------------------------------


def _people() -> list[User]:
    return list(
        User.objects.filter(is_active=True)
        .select_related("team")
        .order_by("first_name", "last_name", "username")
    )


def _owners(people: list[User]) -> Picks:
    """Everyone active, grouped by the function of their team (asks go to a function)."""
    groups: list[tuple[str, list[User]]] = []
    placed: set[int] = set()
    for value, label in Function.choices:
        members = [p for p in people if p.team is not None and p.team.function == value]
        if members:
            groups.append((str(label), members))
            placed.update(p.pk for p in members)
    others = [p for p in people if p.pk not in placed]
    if others:
        groups.append((_("Others"), others))
    return Picks(people, groups=groups)


def _objective_label(objective: Objective) -> str:
    what = objective.get_measure_display()
    category = f" · {objective.category}" if objective.category else ""
    return f"{objective.year} · {what}{category}"


def _options(client: Client, names: set[str]) -> dict[str, Picks]:
    options: dict[str, Picks] = {}
    if names & {"people", "owners"}:
        people = _people()
        options["people"] = Picks(people)
        options["owners"] = _owners(people)
    if "stakeholders" in names:
        options["stakeholders"] = Picks(Stakeholder.objects.filter(client=client).order_by("name"))
    if "competitors" in names:
        options["competitors"] = Picks(Competitor.objects.all())
    if "deals" in names:
        options["deals"] = Picks(Opportunity.objects.filter(client=client))
    if "objectives" in names:
        objectives = Objective.objects.filter(client=client).order_by("-year", "measure")
        options["objectives"] = Picks(objectives, label=_objective_label)
    return options


class _Forms:
    """The forms of a tab: fresh ones, or the one refused (with its errors)."""

    def __init__(
        self, client: Client, kinds: tuple[str, ...], bound: dict[str, RecordForm] | None
    ) -> None:
        self.bound = bound or {}
        names = {n for k in kinds for n in KINDS[k].options}
        self.options = _options(client, names)

    def new(self, kind: str) -> RecordForm:
        prefix = f"{kind}-new"
        found = self.bound.get(prefix)
        return found or KINDS[kind].form(options=self.options, prefix=prefix)

    def edit(self, kind: str, instance: models.Model) -> RecordForm:
        prefix = f"{kind}-{instance.pk}"
        found = self.bound.get(prefix)
        return found or KINDS[kind].form(options=self.options, instance=instance, prefix=prefix)


def _rows(
    forms: _Forms | None, kind: str, records: list[Any]
) -> list[tuple[Any, RecordForm | None]]:
    return [(r, forms.edit(kind, r) if forms else None) for r in records]


# --- the tabs ----------------------------------------------------------------------------


def _flatten(nodes: list[StakeholderNode]) -> list[Stakeholder]:
    found: list[Stakeholder] = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        found.append(node.person)
        stack.extend(node.reports)
    return found


def _buying(request: HttpRequest, account: Account, bound: Any = None) -> dict[str, Any]:
    client = account.client
    roots, gaps = buying_centre(client)
    people = sorted(_flatten(roots), key=lambda p: (-p.influence, p.name))
    steps = list(PurchasingStep.objects.filter(client=client).select_related("stakeholder"))
    forms = _Forms(client, ("stakeholder", "step"), bound) if account.can_change else None
    step_form = forms.new("step") if forms else None
    if step_form is not None and not step_form.is_bound:
        step_form.initial["position"] = max((s.position for s in steps), default=0) + 1
    return {
        "roots": roots,
        "gaps": gaps,
        "people": _rows(forms, "stakeholder", people),
        "steps": _rows(forms, "step", steps),
        "stakeholder_form": forms.new("stakeholder") if forms else None,
        "step_form": step_form,
    }


def _year(request: HttpRequest, default: int) -> int:
    try:
        year = int(request.GET.get("year", default))
    except ValueError:
        return default
    return year if 1900 <= year <= 2999 else default


FORECAST_METHODS = {
    "seasonal": gettext_lazy("run rate adjusted by the seasonality of earlier years"),
    "run_rate": gettext_lazy("run rate of the year so far"),
    "complete": gettext_lazy("the year is over: the actual"),
}


@dataclass(frozen=True, slots=True)
class RevenueGap:
    target: Decimal
    forecast: Decimal
    method: str
    gap: Decimal

    @property
    def method_label(self) -> str:
        return str(FORECAST_METHODS.get(self.method, self.method))


def _revenue_gap(client: Client, year: int) -> RevenueGap | None:
    """Revenue objective (all categories) − forecast to year end; None without an objective."""
    objective = Objective.objects.filter(
        client=client, year=year, measure=Objective.Measure.REVENUE, category=""
    ).first()
    if objective is None:
        return None
    account_months_ensure(store=ledger_store(), client=client)
    progress = next(
        p for p in objectives_progress(client=client, year=year) if p.objective.pk == objective.pk
    )
    forecast = progress.expected if progress.expected is not None else (progress.actual or ZERO)
    return RevenueGap(objective.target, forecast, progress.method, objective.target - forecast)


def _pipeline_year(client: Client, this_year: int) -> int:
    """This year, unless no open deal closes in it and some close later: the first such year."""
    closing = Opportunity.objects.filter(
        client=client, stage__in=Opportunity.OPEN, expected_close__year__gte=this_year
    ).dates("expected_close", "year")
    years = sorted(d.year for d in closing)
    return this_year if not years or years[0] == this_year else years[0]


STAGE_FILTERS = ("", "open", *Opportunity.Stage.values)


def _deals(request: HttpRequest, account: Account, bound: Any = None) -> dict[str, Any]:
    client = account.client
    stage = request.GET.get("stage", "")
    stage = stage if stage in STAGE_FILTERS else ""
    deals = Opportunity.objects.filter(client=client).select_related("owner")
    if stage == "open":
        deals = deals.filter(stage__in=Opportunity.OPEN)
    elif stage:
        deals = deals.filter(stage=stage)
    deals = deals.prefetch_related("competitors")
    this_year = timezone.localdate().year
    years = sorted(
        {
            this_year,
            *(
                d.year
                for d in Opportunity.objects.filter(client=client).dates("expected_close", "year")
            ),
            *Objective.objects.filter(client=client).values_list("year", flat=True),
        },
        reverse=True,
    )
    year = _year(request, _pipeline_year(client, this_year))
    gap = _revenue_gap(client, year)
    log = list(
        NegotiationEntry.objects.filter(client=client).select_related("opportunity", "entered_by")[
            :LOG_ON_TAB
        ]
    )
    forms = _Forms(client, ("deal", "negotiation"), bound) if account.can_change else None
    stages = [("", _("All")), ("open", _("Open")), *Opportunity.Stage.choices]
    return {
        "deals": _rows(forms, "deal", list(deals)),
        "log": log,
        "stage": stage,
        "stages": stages,
        "year": year,
        "years": years,
        "revenue_gap": gap,
        "pipe": pipeline(client=client, year=year, revenue_gap=gap.gap if gap else None),
        "deal_form": forms.new("deal") if forms else None,
        "negotiation_form": forms.new("negotiation") if forms else None,
    }


def _competitors(request: HttpRequest, account: Account, bound: Any = None) -> dict[str, Any]:
    client = account.client
    presences = list(CompetitorPresence.objects.filter(client=client).select_related("competitor"))
    actions = list(competitor_actions(user=request.user, client=client)[:LOG_ON_TAB])
    forms = _Forms(client, ("presence", "competitor_action"), bound) if account.can_change else None
    shares = [p.estimated_share for p in presences if p.estimated_share is not None]
    return {
        "presences": _rows(forms, "presence", presences),
        "actions": actions,
        "competitors_share": sum(shares, ZERO) if shares else None,
        "presence_form": forms.new("presence") if forms else None,
        "action_form": forms.new("competitor_action") if forms else None,
        "may_add_competitor": may_log_market(request.user),
    }


def _actions(request: HttpRequest, account: Account, bound: Any = None) -> dict[str, Any]:
    client = account.client
    today = timezone.localdate()
    tasks = list(tasks_of(client).order_by("due_on", "id"))
    active = [t for t in tasks if t.status in Task.ACTIVE]
    closed = [t for t in tasks if t.status not in Task.ACTIVE]
    overdue = [t for t in active if is_overdue(t, today)]
    forms = _Forms(client, ("task", "ask"), bound) if account.can_change else None
    return {
        "tasks": _task_rows(request, forms, [*active, *closed], today),
        "open_count": len(active),
        "overdue_count": len(overdue),
        "task_form": forms.new("task") if forms else None,
        "ask_form": forms.new("ask") if forms else None,
        "statuses": Task.Status.choices,
    }


FUNCTIONS = dict(Function.choices)


@dataclass(frozen=True, slots=True)
class TaskRow:
    task: Task
    overdue: bool
    may_set_status: bool
    form: RecordForm | None

    @property
    def function(self) -> str:
        """The function asked, by its name ("" for an action of the plan)."""
        return str(FUNCTIONS.get(self.task.function, self.task.function))


def _task_rows(
    request: HttpRequest, forms: _Forms | None, tasks: list[Task], today: Any
) -> list[TaskRow]:
    me = request.user.pk
    return [
        TaskRow(
            t,
            is_overdue(t, today),
            forms is not None or t.owner_id == me,
            forms.edit("task", t) if forms else None,
        )
        for t in tasks
    ]


TABS: dict[str, tuple[Callable[..., dict[str, Any]], str]] = {
    "buying": (_buying, "web/account/buying.html"),
    "deals": (_deals, "web/account/deals.html"),
    "competitors": (_competitors, "web/account/competitors.html"),
    "actions": (_actions, "web/account/actions.html"),
}


def _render_tab(
    request: HttpRequest,
    account: Account,
    tab: str,
    *,
    bound: dict[str, RecordForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    build, template = TABS[tab]
    context = account_context(account, tab, **build(request, account, bound))
    return render(request, template, context, status=status)


def _tab_view(tab: str) -> Callable[..., HttpResponse]:
    @login_required
    @require_GET
    def view(request: HttpRequest, external_id: str) -> HttpResponse:
        return _render_tab(request, _account(request, external_id), tab)

    view.__name__ = tab
    view.__doc__ = f"The {tab} tab of the key-account page."
    return view


# --- writes of per-account records -------------------------------------------------------


def _tab_url(client: Client, kind: Kind) -> str:
    return reverse(f"work:{kind.tab}", args=[client.external_id]) + f"#{kind.anchor}"


def _save(request: HttpRequest, external_id: str, kind_name: str, pk: int | None) -> HttpResponse:
    account = _changing(request, external_id)
    client = account.client
    kind = KINDS[kind_name]
    instance = None
    if pk is not None:
        instance = get_object_or_404(kind.model, pk=pk, client=client)
    prefix = f"{kind_name}-{pk if pk is not None else 'new'}"
    options = _options(client, set(kind.options))
    form = kind.form(request.POST, options=options, instance=instance, prefix=prefix)
    if form.is_valid():
        try:
            with transaction.atomic():
                saved = record_save(
                    actor=_actor(request),
                    client=client,
                    model=kind.model,
                    values=form.values(),
                    instance=instance,
                )
                if isinstance(saved, Opportunity):
                    opportunity_competitors_set(
                        actor=_actor(request),
                        opportunity=saved,
                        competitors=form.cleaned_data.get("competitors", []),
                    )
        except PlanningNotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except PlanningError as error:
            form.add_error(None, str(error))
        else:
            notice = _("Added: %(record)s.") if instance is None else _("Saved: %(record)s.")
            messages.success(request, notice % {"record": saved})
            return redirect(_tab_url(client, kind))
    return _render_tab(request, account, kind.tab, bound={prefix: form}, status=400)


def _delete(request: HttpRequest, external_id: str, kind_name: str, pk: int) -> HttpResponse:
    account = _changing(request, external_id)
    kind = KINDS[kind_name]
    instance = get_object_or_404(kind.model, pk=pk, client=account.client)
    label = str(instance)
    try:
        record_delete(actor=_actor(request), instance=instance)
    except PlanningNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except PlanningError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Deleted: %(record)s.") % {"record": label})
    return redirect(_tab_url(account.client, kind))


def _add_view(kind: str) -> Callable[..., HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, external_id: str) -> HttpResponse:
        return _save(request, external_id, kind, None)

    view.__name__ = f"{kind}_add"
    return view


def _edit_view(kind: str) -> Callable[..., HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
        return _save(request, external_id, kind, pk)

    view.__name__ = f"{kind}_edit"
    return view


def _delete_view(kind: str) -> Callable[..., HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
        return _delete(request, external_id, kind, pk)

    view.__name__ = f"{kind}_delete"
    return view


# --- a task's status, in place (the account's tab or my queue) ---------------------------


def _queue_rows(request: HttpRequest, tasks: list[Task]) -> list[TaskRow]:
    today = timezone.localdate()
    return [TaskRow(t, is_overdue(t, today), True, None) for t in tasks]


def _status_row(request: HttpRequest, task: Task, where: str) -> HttpResponse:
    """The task's row again, as the page that asked shows it."""
    user = request.user
    can_change = editable_clients(user).filter(pk=task.client_id).exists()
    form = None
    if where == "account" and can_change:
        form = _Forms(task.client, ("task",), None).edit("task", task)
    visible = set(visible_clients(user).filter(pk=task.client_id).values_list("pk", flat=True))
    context = {
        "row": TaskRow(task, is_overdue(task), True, form),
        "where": where,
        "statuses": Task.Status.choices,
        "changed": True,
        "visible": visible,
        "can_change": can_change,
    }
    return render(request, "web/account/actions_row.html", context)


@login_required
@require_POST
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a task's status: its owner, or whoever may change the account."""
    user = request.user
    task = (
        Task.objects.select_related("client", "owner", "requested_by", "objective")
        .filter(pk=pk)
        .filter(Q(owner=user) | Q(client__in=visible_clients(user)))
        .first()
    )
    if task is None:
        raise Http404
    form = StatusForm(request.POST, auto_id=False)
    where = "queue" if request.POST.get("where") == "queue" else "account"
    if not form.is_valid():
        return HttpResponse(_("Choose a status."), status=400)
    try:
        record_save(
            actor=_actor(request),
            client=task.client,
            model=Task,
            values={"status": form.cleaned_data["status"]},
            instance=task,
        )
    except PlanningNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except PlanningError as error:
        return HttpResponse(str(error), status=400)
    if getattr(request, "htmx", False):
        return _status_row(request, task, where)
    messages.success(
        request,
        _("Status of “%(task)s”: %(status)s.")
        % {
            "task": task.title,
            "status": task.get_status_display(),
        },
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("work:queue")
    return redirect(target)


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """My open tasks and asks across accounts, overdue first."""
    tasks = list(queue_of(request.user))
    rows = _queue_rows(request, tasks)
    rows.sort(key=lambda r: (not r.overdue, r.task.due_on, r.task.pk))
    client_ids = {t.client_id for t in tasks}
    visible = set(
        visible_clients(request.user).filter(pk__in=client_ids).values_list("pk", flat=True)
    )
    return render(
        request,
        "web/account/queue.html",
        {
            "rows": rows,
            "visible": visible,
            "overdue_count": sum(1 for r in rows if r.overdue),
            "statuses": Task.Status.choices,
        },
    )


# --- competitors across accounts ---------------------------------------------------------


def _may_edit_register(user: Any) -> bool:
    return bool(user.is_active and getattr(user, "role", None) in MARKET_ROLES)


def _log_context(
    request: HttpRequest,
    *,
    market_form: MarketActionForm | None = None,
    register_form: CompetitorForm | None = None,
    register_bound: dict[int, CompetitorForm] | None = None,
) -> dict[str, Any]:
    user = request.user
    register = list(Competitor.objects.all())
    picks = Picks(register)
    filters_form = LogFilterForm(request.GET, competitors=picks)
    chosen = filters_form.filters()
    actions = competitor_actions(user=user)
    if chosen["competitor"] is not None:
        actions = actions.filter(competitor=chosen["competitor"])
    if chosen["kind"]:
        actions = actions.filter(kind=chosen["kind"])
    if chosen["date_from"]:
        actions = actions.filter(happened_on__gte=chosen["date_from"])
    if chosen["date_to"]:
        actions = actions.filter(happened_on__lte=chosen["date_to"])
    page = Paginator(actions, LOG_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    may_log = may_log_market(user)
    may_edit = _may_edit_register(user)
    bound = register_bound or {}
    return {
        "filters": filters_form,
        "page": page,
        "query": query.urlencode(),
        "register": [
            (c, (bound.get(c.pk) or _register_form(c)) if may_edit else None) for c in register
        ],
        "market_form": (market_form or MarketActionForm(competitors=picks, prefix="market"))
        if may_log
        else None,
        "register_form": (register_form or CompetitorForm(prefix="competitor-new"))
        if may_log
        else None,
    }


def _register_form(competitor: Competitor, data: Any = None) -> CompetitorForm:
    initial = {"name": competitor.name, "website": competitor.website, "notes": competitor.notes}
    return CompetitorForm(data, initial=initial, prefix=f"competitor-{competitor.pk}")


@login_required
@require_GET
def competitor_log(request: HttpRequest) -> HttpResponse:
    """Competitor actions across the accounts the person may see, and market-wide ones."""
    return render(request, "web/account/competitors_log.html", _log_context(request))


@login_required
@require_POST
def market_action_add(request: HttpRequest) -> HttpResponse:
    """Log a competitor action seen in the market (no account)."""
    if not may_log_market(request.user):
        raise PermissionDenied
    form = MarketActionForm(
        request.POST, competitors=Picks(Competitor.objects.all()), prefix="market"
    )
    if form.is_valid():
        try:
            action = market_action_save(actor=_actor(request), values=form.cleaned_data)
        except PlanningNotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except PlanningError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Added: %(record)s.") % {"record": action.competitor})
            return redirect(reverse("work:competitor_log"))
    context = _log_context(request, market_form=form)
    return render(request, "web/account/competitors_log.html", context, status=400)


def _register_save(request: HttpRequest, competitor: Competitor | None) -> HttpResponse:
    prefix = f"competitor-{competitor.pk}" if competitor else "competitor-new"
    form = CompetitorForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            saved = competitor_save(
                actor=_actor(request), values=form.cleaned_data, instance=competitor
            )
        except PlanningNotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except PlanningError as error:
            form.add_error(None, str(error))
        else:
            notice = _("Added: %(record)s.") if competitor is None else _("Saved: %(record)s.")
            messages.success(request, notice % {"record": saved})
            return redirect(reverse("work:competitor_log") + "#register")
    if competitor is None:
        context = _log_context(request, register_form=form)
    else:
        context = _log_context(request, register_bound={competitor.pk: form})
    return render(request, "web/account/competitors_log.html", context, status=400)


@login_required
@require_POST
def competitor_add(request: HttpRequest) -> HttpResponse:
    """Add a competitor to the register (directors, marketing, key-account managers)."""
    if not may_log_market(request.user):
        raise PermissionDenied
    return _register_save(request, None)


@login_required
@require_POST
def competitor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a competitor of the register (directors and marketing)."""
    competitor = get_object_or_404(Competitor, pk=pk)
    if not _may_edit_register(request.user):
        raise PermissionDenied
    return _register_save(request, competitor)


# --- white space -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    category: str
    revenue: Decimal | None  # None: not bought
    heat: int  # 1-5: the category's share of the account's revenue; 0: not bought
    recommended: bool


HEAT = (0.4, 0.2, 0.1, 0.05)  # share of the account's revenue for heat 5, 4, 3, 2


def _heat(share: float) -> int:
    for level, floor in zip((5, 4, 3, 2), HEAT, strict=True):
        if share >= floor:
            return level
    return 1


HIDDEN = "—"  # how white_space() names a similar account the person may not see


@dataclass(frozen=True, slots=True)
class Explained:
    category: str
    strength: float
    named: list[tuple[str, float]]  # similar accounts the person may see, with similarity
    hidden: list[float]  # similarities of those they may not see


def _explained(rec: Recommendation) -> Explained:
    named = [(name, sim) for name, sim in rec.because if name != HIDDEN]
    hidden = [sim for name, sim in rec.because if name == HIDDEN]
    return Explained(rec.category, rec.strength, named, hidden)


@login_required
@require_GET
def white_space_page(request: HttpRequest) -> HttpResponse:
    """Key accounts × categories: what each buys, and what to offer it next."""
    years = available_years()
    year = _year(request, years[0]) if years else None
    if year is not None and year not in years:
        year = years[0]
    context: dict[str, Any] = {"years": years, "year": year, "rows": [], "categories": []}
    if year is not None:
        space = white_space(user=request.user, year=year)
        # what key accounts buy, and what is recommended to them though none of them buys it
        offered = {r.category for recs in space.recommendations.values() for r in recs}
        categories = sorted({*space.categories, *offered})
        rows = []
        for client, bought in space.rows:
            total = sum((v for v in bought.values() if v > 0), ZERO)
            recs = space.recommendations.get(client.pk, [])
            wanted = {r.category for r in recs}
            cells = []
            for category in categories:
                revenue = bought.get(category)
                if revenue is not None and revenue > 0:
                    heat = _heat(float(revenue / total)) if total > 0 else 1
                    cells.append(Cell(category, revenue, heat, False))
                else:
                    cells.append(Cell(category, None, 0, category in wanted))
            rows.append(
                {
                    "client": client,
                    "cells": cells,
                    "recommendations": [_explained(r) for r in recs],
                    "total": total,
                }
            )
        context.update(categories=categories, rows=rows)
    return render(request, "web/account/whitespace.html", context)


# --- routes ------------------------------------------------------------------------------

_ACCOUNT_ROUTES = (
    ("stakeholder", "buying/people"),
    ("step", "buying/steps"),
    ("deal", "deals"),
    ("negotiation", "deals/log"),
    ("presence", "competitors/present"),
    ("competitor_action", "competitors/actions"),
    ("task", "actions"),
    ("ask", "actions/ask"),
)


def _record_patterns() -> list[URLPattern]:
    patterns = []
    for kind, where in _ACCOUNT_ROUTES:
        base = f"<str:external_id>/{where}"
        if kind == "ask":
            patterns.append(path(f"{base}/", _add_view(kind), name=f"{kind}_add"))
            continue
        patterns.append(path(f"{base}/new/", _add_view(kind), name=f"{kind}_add"))
        if KINDS[kind].changes:
            patterns.append(path(f"{base}/<int:pk>/", _edit_view(kind), name=f"{kind}_edit"))
            patterns.append(
                path(f"{base}/<int:pk>/delete/", _delete_view(kind), name=f"{kind}_delete")
            )
    return patterns


# The pages across accounts come first: "queue/" is not a client's external id.
urlpatterns: list[URLPattern] = [
    path("queue/", queue, name="queue"),
    path("tasks/<int:pk>/status/", task_status, name="task_status"),
    path("competitors/", competitor_log, name="competitor_log"),
    path("competitors/market/new/", market_action_add, name="market_action_add"),
    path("competitors/register/new/", competitor_add, name="competitor_add"),
    path("competitors/register/<int:pk>/", competitor_edit, name="competitor_edit"),
    path("white-space/", white_space_page, name="white_space"),
    *(path(f"<str:external_id>/{tab}/", _tab_view(tab), name=tab) for tab in TABS),
    *_record_patterns(),
]
