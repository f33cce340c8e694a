"""Organising the programme: key-account actions on a client, the org chart, notifications.

Every action is a POST from the key-account section of the client page; the
service decides who may act (NotAllowedError: 403) and what is valid
(AccountsError: the form again with the reason, nothing changed). Without
htmx the answer is a redirect to the client page; with htmx, the section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kam.accounts.models import WalletEstimate
from kam.accounts.organisation import org_chart
from kam.accounts.selectors import notifications_of
from kam.accounts.services import (
    AccountsError,
    NotAllowedError,
    WalletImportError,
    WalletRow,
    account_team_add,
    account_team_remove,
    key_account_designate,
    key_account_revoke,
    manager_assign,
    notifications_mark_read,
    partnership_intent_record,
    position_rating_record,
    relationship_stage_record,
    wallet_estimate_delete,
    wallet_estimates_save,
)
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.access import visible_clients
from kam.clients.models import AccountTeamMember, Client
from kam.web.clients import client_page_response
from kam.web.key_account import FORMS, form_of, key_account_context, may_change, may_decide

Perform = Callable[[Actor, Client, dict[str, Any]], str]
NOTIFICATIONS_SHOWN = 200


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, interface=AuditEvent.Interface.WEB)


def _visible(request: HttpRequest, external_id: str) -> Client:
    client = visible_clients(request.user).select_related("manager")
    found = client.filter(external_id=external_id).first()
    if found is None:  # unknown or not visible: the same answer
        raise Http404
    return found


def _guard(request: HttpRequest, client: Client, *, director_only: bool) -> None:
    """Refuse early, before reading the form; the service checks again when it writes."""
    allowed = may_decide(request.user) or (not director_only and may_change(request.user, client))
    if not allowed:
        raise PermissionDenied


def _section(
    request: HttpRequest, client: Client, *, bound: dict[str, forms.Form] | None, notice: str
) -> HttpResponse:
    context = key_account_context(user=request.user, client=client, bound=bound, notice=notice)
    return render(request, "web/organisation/_key_account.html", context)


def _done(request: HttpRequest, client: Client, notice: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        client.refresh_from_db()
        return _section(request, client, bound=None, notice=notice)
    messages.success(request, notice)
    return redirect(reverse("clients:detail", args=[client.external_id]) + "#key-account")


def _refused(request: HttpRequest, client: Client, key: str, form: forms.Form) -> HttpResponse:
    """The form again with its errors; htmx swaps only what it receives with a 2xx."""
    client.refresh_from_db()
    if getattr(request, "htmx", False):
        return _section(request, client, bound={key: form}, notice="")
    return client_page_response(request, client.external_id, bound={key: form}, status=400)


def _act(request: HttpRequest, external_id: str, key: str, perform: Perform) -> HttpResponse:
    client = _visible(request, external_id)
    _guard(request, client, director_only=FORMS[key][1])
    form = form_of(key, request.POST)
    if form.is_valid():
        try:
            notice = perform(_actor(request), client, form.cleaned_data)
        except NotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except WalletImportError as error:
            for problem in error.problems:
                form.add_error(None, f"{problem.column}: {problem.reason}")
        except AccountsError as error:
            form.add_error(None, str(error))
        else:
            return _done(request, client, notice)
    return _refused(request, client, key, form)


def _designate(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    key_account_designate(
        actor=actor,
        client=client,
        tier=data["tier"],
        reason=data["reason"],
        manager=data["manager"],
        handover_note=data["handover_note"],
    )
    return _("%(client)s is a key account of tier %(tier)s.") % {
        "client": client.name,
        "tier": data["tier"],
    }


def _revoke(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    key_account_revoke(actor=actor, client=client, reason=data["reason"])
    return _("%(client)s is no longer a key account.") % {"client": client.name}


def _manager(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    manager_assign(
        actor=actor, client=client, manager=data["manager"], handover_note=data["handover_note"]
    )
    return _("The key-account manager was changed.")


def _team(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    member = account_team_add(
        actor=actor,
        client=client,
        user=data["user"],
        function=data["function"],
        role_on_account=data["role_on_account"],
    )
    return _("%(person)s is on the account team.") % {"person": member.user}


def _stage(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    relationship_stage_record(
        actor=actor,
        client=client,
        stage=data["stage"],
        noted_on=data["noted_on"],
        evidence=data["evidence"],
    )
    return _("The relationship stage was recorded.")


def _intent(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    partnership_intent_record(actor=actor, client=client, **data)
    return _("The partnership intent was recorded.")


def _position(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    position_rating_record(actor=actor, client=client, **data)
    return _("Our position was recorded.")


def _wallet(actor: Actor, client: Client, data: dict[str, Any]) -> str:
    row = WalletRow(client=client.external_id, **data)
    created, _changed = wallet_estimates_save(actor=actor, rows=[row])
    return _("The wallet estimate was added.") if created else _("The wallet estimate was saved.")


def _action(key: str, perform: Perform) -> Callable[..., HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, external_id: str) -> HttpResponse:
        return _act(request, external_id, key, perform)

    view.__name__ = f"{key}_save"
    view.__doc__ = f"POST the key-account section's {key} form."
    return view


@login_required
@require_POST
def team_remove(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
    """Take a person off the account team."""
    client = _visible(request, external_id)
    _guard(request, client, director_only=False)
    member = AccountTeamMember.objects.select_related("user").filter(pk=pk, client=client).first()
    if member is None:  # removed already (a second click): the same outcome
        return _done(request, client, _("This person is no longer on the account team."))
    try:
        account_team_remove(actor=_actor(request), member=member)
    except NotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    return _done(request, client, _("%(person)s left the account team.") % {"person": member.user})


@login_required
@require_POST
def wallet_delete(request: HttpRequest, external_id: str, pk: int) -> HttpResponse:
    """Delete one wallet estimate."""
    client = _visible(request, external_id)
    _guard(request, client, director_only=False)
    estimate = WalletEstimate.objects.filter(pk=pk, client=client).first()
    if estimate is None:  # deleted already (a second click): the same outcome
        return _done(request, client, _("The wallet estimate was deleted."))
    try:
        wallet_estimate_delete(actor=_actor(request), estimate=estimate)
    except NotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    return _done(request, client, _("The wallet estimate was deleted."))


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first; the unread ones stand out."""
    shown = list(notifications_of(user=request.user)[:NOTIFICATIONS_SHOWN])
    context = {"notifications": shown, "unread": sum(1 for n in shown if n.read_at is None)}
    return render(request, "web/organisation/notifications.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all my notifications read."""
    notifications_mark_read(user=request.user)
    return redirect("organisation:notifications")


@login_required
@require_GET
def chart(request: HttpRequest) -> HttpResponse:
    """The teams as a tree, where the KAM function sits, who manages which key accounts."""
    return render(request, "web/organisation/chart.html", {"chart": org_chart(user=request.user)})


CLIENT = "clients/<path:external_id>/"

app_name = "organisation"
urlpatterns = [
    path("", chart, name="chart"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications_read"),
    path(f"{CLIENT}designate/", _action("designate", _designate), name="designate"),
    path(f"{CLIENT}revoke/", _action("revoke", _revoke), name="revoke"),
    path(f"{CLIENT}manager/", _action("manager", _manager), name="manager"),
    path(f"{CLIENT}team/", _action("team", _team), name="team"),
    path(f"{CLIENT}team/<int:pk>/remove/", team_remove, name="team_remove"),
    path(f"{CLIENT}stage/", _action("stage", _stage), name="stage"),
    path(f"{CLIENT}intent/", _action("intent", _intent), name="intent"),
    path(f"{CLIENT}position/", _action("position", _position), name="position"),
    path(f"{CLIENT}wallet/", _action("wallet", _wallet), name="wallet"),
    path(f"{CLIENT}wallet/<int:pk>/delete/", wallet_delete, name="wallet_delete"),
]
