"""The concentration analysis: the same JSON document as `kam analyze --format json`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kam.analytics.selectors import concentration_analysis, default_period
from kam.analytics.services import snapshot_ensure_current
from kam.api.errors import ErrorOut
from kam.clients.access import can_see_margins, sees_everything, visible_clients
from kam.common.periods import Period, PeriodError
from kam.ledger.selectors import ledger_store

router = Router(tags=["analysis"])


class AnalysisQuery(Schema):
    year: int | None = Field(None, ge=1900, le=2999, description="a (fiscal) year")
    date_from: dt.date | None = Field(None, alias="from", description="first day")
    date_to: dt.date | None = Field(None, alias="to", description="exclusive end date")
    top: int = Field(20, ge=0, le=1000, description="how many of the largest clients to list")


class PeriodOut(Schema):
    start: dt.date
    end: dt.date


class Unattributed(Schema):
    lines: int
    amount: str


class MarginOut(Schema):
    amount: str
    percent: float
    coverage: float


class TopClient(Schema):
    client: str
    name: str
    revenue: str
    share: float
    cumulative_share: float
    abc_class: str = Field(..., alias="class")


class AnalysisOut(Schema):
    period: PeriodOut
    currency: str
    clients: int
    non_positive: int
    revenue: str
    top20_share: float
    abc: dict[str, int]
    gini: float
    hhi: float
    unattributed: Unattributed
    margin: MarginOut | None
    top: list[TopClient]


def _period(query: AnalysisQuery) -> Period | None:
    if query.year is not None and (query.date_from or query.date_to):
        raise PeriodError(_("Give either year or from/to, not both."))
    if query.year is not None:
        return Period.year(query.year, start_month=settings.KAM_FISCAL_YEAR_START)
    if query.date_from or query.date_to:
        if not (query.date_from and query.date_to):
            raise PeriodError(_("from and to go together."))
        return Period(query.date_from, query.date_to)
    return None


@router.get(
    "/analysis",
    response={200: AnalysisOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    summary="Concentration analysis of a period",
)
def analysis(request: HttpRequest, query: Query[AnalysisQuery]) -> JsonResponse:
    """Pareto, ABC, top-20 % share, Gini and HHI of a period (default: the latest year).

    People who do not see every client get the analysis of the clients they see;
    margins only for roles that may see them."""
    store = ledger_store()
    snapshot_ensure_current(store=store)
    period = _period(query) or default_period(store=store)
    result = concentration_analysis(
        store=store,
        period=period,
        within=None if sees_everything(request.user) else visible_clients(request.user),
        with_margin=can_see_margins(request.user),
    )
    return JsonResponse(result.as_json(top=query.top), json_dumps_params={"ensure_ascii": False})
