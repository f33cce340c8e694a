"""HTML views: parse the request, call one selector, render."""

from __future__ import annotations

import logging
from collections import OrderedDict
from decimal import Decimal
from threading import Event, Lock, Thread
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from kam.accounts.selectors import scores_inputs_version, scores_of
from kam.analytics.charts import pareto_chart, pareto_curve, trend_figure
from kam.analytics.core.risk import Risk, RiskPolicy, dependency_risks
from kam.analytics.models import SnapshotState, YearSummary
from kam.analytics.selectors import Analysis, available_years, concentration_analysis
from kam.audit.services import Actor
from kam.clients.access import can_see_margins, sees_everything, visible_clients
from kam.clients.models import Client
from kam.common.errors import DomainError
from kam.common.periods import Period
from kam.ledger.selectors import ledger_store
from kam.people.models import User
from kam.people.services import user_language_set
from kam.web.forms import PeriodForm

logger = logging.getLogger(__name__)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """The concentration view of one period, with its trend across years."""
    years = available_years()
    form = PeriodForm(
        request.GET or None, years=years, initial={"year": years[0] if years else None}
    )
    context: dict[str, Any] = {"form": form, "years": years}
    if years:
        try:
            period = form.period()  # the latest (fiscal) year unless another is asked
            context.update(_dashboard_figures(request.user, period, years))
        except DomainError as error:
            context["error"] = str(error)
    template = "web/_dashboard_body.html" if request.htmx else "web/dashboard.html"
    return render(request, template, context)


_MEMO_SIZE = 8
_MEMO_LOCK = Lock()
# Language-free figures of people who see every client, per period and snapshot;
# then the page's context per language (the chart's words), built from them.
_FIGURES: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_MEMO: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()


def _remember(memo: OrderedDict[tuple[Any, ...], dict[str, Any]], key: Any, value: Any) -> None:
    with _MEMO_LOCK:
        memo[key] = value
        while len(memo) > _MEMO_SIZE:
            memo.popitem(last=False)


def _dashboard_figures(user: Any, period: Period, years: list[int]) -> dict[str, Any]:
    """The dashboard's figures; for people who see every client, memoised per snapshot.

    Ranking 100k clients and drawing the curve takes seconds; it changes only
    when an import refreshes the snapshot, whose version is part of the key.
    """
    with_margin = can_see_margins(user)
    if not sees_everything(user):
        analysis = concentration_analysis(
            store=ledger_store(),
            period=period,
            within=visible_clients(user),
            with_margin=with_margin,
        )
        return _in_words(_figures(analysis), years, everything=False)
    key = (*_figures_key(period, with_margin), tuple(years), get_language())
    with _MEMO_LOCK:
        cached = _MEMO.get(key)
    if cached is None:
        cached = _in_words(_everything_figures(period, with_margin), years, everything=True)
        _remember(_MEMO, key, cached)
    return cached


def _figures_key(period: Period, with_margin: bool) -> tuple[Any, ...]:
    state = SnapshotState.objects.filter(pk=1).values_list("ledger_import_id", "refreshed_at")
    return (period, with_margin, state.first(), _risk_policy())


def _everything_figures(period: Period, with_margin: bool) -> dict[str, Any]:
    key = _figures_key(period, with_margin)
    with _MEMO_LOCK:
        cached = _FIGURES.get(key)
    if cached is None:
        analysis = concentration_analysis(
            store=ledger_store(), period=period, with_margin=with_margin
        )
        cached = _figures(analysis)
        _remember(_FIGURES, key, cached)
    return cached


def pages_warm() -> None:
    """Compute, before anyone asks, what the first views after a change would compute.

    The default dashboard of people who see every client (in each language) and
    the client page's scores of the two latest years: at 100k clients each takes
    seconds. Run in the background when the server starts and after each import
    or change of a scoring input that this process makes.
    """
    years = available_years()
    if not years:
        return
    period = PeriodForm(None, years=years, initial={"year": years[0]}).period()
    for with_margin in (True, False):
        figures = _everything_figures(period, with_margin)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                key = (*_figures_key(period, with_margin), tuple(years), get_language())
                _remember(_MEMO, key, _in_words(figures, years, everything=True))
    version = scores_inputs_version()
    for year in years[:2]:
        scores_of(year=year, version=version)


_SERVING = Event()
_WARMING = Lock()
_AGAIN = Event()


def serving_start() -> None:
    """This process serves pages: warm them now and after every change it makes."""
    _SERVING.set()
    pages_warm_soon()


def pages_warm_soon(**_: Any) -> None:
    """`pages_warm` in a background thread, in a process that serves pages.

    One warm-up at a time: a change during one asks for one more after it.
    """
    if not _SERVING.is_set():
        return
    _AGAIN.set()
    if not _WARMING.locked():
        Thread(target=_warm_thread, daemon=True, name="kam-pages-warm").start()


def _warm_thread() -> None:
    if not _WARMING.acquire(blocking=False):
        return  # the running warm-up sees _AGAIN
    try:
        while _AGAIN.is_set():
            _AGAIN.clear()
            pages_warm()
    except Exception:  # a later view computes the figures itself
        logger.exception("the pages could not be prepared")
    finally:
        _WARMING.release()
        connections.close_all()  # this thread's connections only
    if _AGAIN.is_set():  # asked for between the last round and the release
        pages_warm_soon()


WATCH_SECONDS = 5.0


def changes_watch_start() -> None:
    """Watch, in a serving process, for changes other processes make.

    An import from the command line, or a rating saved by another server process,
    changes the snapshot or a scoring input without this process hearing of it;
    every `WATCH_SECONDS` one small query notices, and the pages are warmed then
    rather than at the first view.
    """
    import threading  # not the module's `Thread`, which tests replace

    threading.Thread(target=_watch_loop, daemon=True, name="kam-changes-watch").start()


def _watch_loop() -> None:
    seen: tuple[Any, ...] | None = None
    while True:
        try:
            seen = changes_watch_once(seen)
        except Exception:  # a database away for a moment: try again later
            logger.warning("could not check for changes", exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only
        _STOP_WATCH.wait(WATCH_SECONDS)
        if _STOP_WATCH.is_set():
            return


_STOP_WATCH = Event()


def changes_watch_once(seen: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """One look at the scores' inputs (the snapshot among them); warm if they changed.

    `seen` is what the last look returned (None at the first: the start warms).
    """
    version = scores_inputs_version()
    if seen is not None and version != seen:
        pages_warm_soon()
    return version


def dashboard_memo_clear() -> None:
    with _MEMO_LOCK:
        _FIGURES.clear()
        _MEMO.clear()


def _figures(analysis: Analysis) -> dict[str, Any]:
    """The dashboard's figures over the analysis's population, in no language."""
    r = analysis.result
    counts, revenues = r.class_counts(), r.class_revenues()
    abc = [
        {
            "cls": cls,
            "clients": counts[cls],
            "client_share": Decimal(counts[cls]) / r.clients if r.clients else 0,
            "revenue": revenues[cls],
            "share": revenues[cls] / r.revenue if r.revenue else 0,
        }
        for cls in ("A", "B", "C")
    ]
    return {
        "analysis": analysis,
        "result": r,
        "abc": abc,
        "top": [_top_row(analysis, row) for row in r.head(20)],
        "curve": pareto_curve(r),
        "risks": _risks(analysis),
    }


def _in_words(figures: dict[str, Any], years: list[int], *, everything: bool) -> dict[str, Any]:
    """The page's context: the figures, with the charts' words in the active language."""
    pareto = pareto_chart(
        figures["curve"],
        labels={
            "curve": _("Cumulative share of revenue"),
            "equality": _("Equal sales"),
            "x": _("Share of clients (largest first)"),
            "y": _("Share of net revenue"),
            "end_A": _("end of A"),
            "end_B": _("end of B"),
        },
    )
    return {
        **figures,
        "pareto": pareto,
        "trend": _trend(years) if everything else None,
        "partial_view": not everything,
    }


def _risk_policy() -> RiskPolicy:
    return RiskPolicy(
        client_share=settings.KAM_RISK_CLIENT_SHARE,
        top_n=settings.KAM_RISK_TOP_N,
        top_share=settings.KAM_RISK_TOP_SHARE,
    )


def _risks(analysis: Analysis) -> list[dict[str, Any]]:
    """Dependency risks in net revenue and, where cost is known and may be seen, gross margin.

    Over the analysis's population: the whole company for those who see every
    client, the clients a person may see otherwise. `analysis.margins` is empty
    for people who may not see margins, so they get no margin risk.
    """
    policy = _risk_policy()
    revenue = analysis.result.revenues()
    found: list[Risk] = [
        *dependency_risks(revenue, measure="revenue", policy=policy),
        *dependency_risks(analysis.margins, measure="margin", policy=policy),
    ]
    named = set(analysis.names)
    wanted = {c for risk in found for c in risk.clients if c not in named}
    names = dict(analysis.names)
    if wanted:
        names.update(
            Client.objects.filter(external_id__in=wanted).values_list("external_id", "name")
        )
    return [
        {
            "measure": risk.measure,
            "kind": risk.kind,
            "share": risk.share,
            "limit": risk.limit,
            "count": len(risk.clients),
            "clients": [{"id": c, "name": names.get(c, c)} for c in risk.clients],
        }
        for risk in found
    ]


def _top_row(analysis: Analysis, row: Any) -> dict[str, Any]:
    return {"row": row, "name": analysis.names.get(row.client_id, row.client_id)}


def _trend(years: list[int]) -> dict[str, Any] | None:
    """Top-20 % share and Gini per calendar year, from the snapshot."""
    summaries = list(YearSummary.objects.order_by("year"))
    if len(summaries) < 2:
        return None
    return trend_figure(
        [s.year for s in summaries],
        [s.top20_share for s in summaries],
        [s.gini for s in summaries],
        labels={"top20": _("Top %(p)s%% share") % {"p": 20}, "gini": _("Gini")},
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; kept on the user for next time."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES) and check_for_language(language):
        if isinstance(request.user, User):
            user_language_set(
                user=request.user, language=language, actor=Actor(request.user, "web")
            )
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            samesite="Lax",
            secure=settings.PRODUCTION,
            max_age=365 * 24 * 3600,
        )
    return response


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and scripts; `warming` while the pages' figures are prepared."""
    return JsonResponse({"status": "ok", "warming": _WARMING.locked() or _AGAIN.is_set()})
