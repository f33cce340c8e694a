"""People and teams (administrators only) and each person's own account page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.access import can_manage_people
from kam.people.models import Team, User
from kam.people.selectors import people_listed, teams_listed
from kam.people.services import (
    PeopleError,
    team_create,
    team_update,
    user_create,
    user_language_set,
    user_password_set,
    user_update,
)
from kam.web.people_forms import (
    LanguageForm,
    PasswordSetForm,
    PersonCreateForm,
    PersonForm,
    TeamForm,
)

View = Callable[..., HttpResponse]
GET_POST = ("GET", "POST")


def admin_only(view: View) -> View:
    """Signed in, and allowed to manage people (kam.clients.access); otherwise 403."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_people(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(guarded)


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, interface=AuditEvent.Interface.WEB)


def _refused(form: forms.Form, error: PeopleError, field: str | None = None) -> None:
    form.add_error(field, str(error))


@admin_only
def people_list(request: HttpRequest) -> HttpResponse:
    """Everyone with their role, team, state and last sign-in; the teams below."""
    context = {"people": people_listed(), "teams": teams_listed()}
    return render(request, "web/people/list.html", context)


@admin_only
@require_http_methods(GET_POST)
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = user_create(
                username=data["username"],
                password=data["password"],
                role=data["role"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                team=data["team"],
                actor=_actor(request),
            )
        except PeopleError as error:
            _refused(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": person.username})
            return redirect("people:list")
    return render(request, "web/people/person_form.html", {"form": form, "person": None})


@admin_only
@require_http_methods(GET_POST)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    initial = {f: getattr(person, f) for f in PersonForm.base_fields}
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = user_update(user=person, actor=_actor(request), **form.cleaned_data)
        except PeopleError as error:
            _refused(form, error)
        else:
            if changed:
                messages.success(request, _("%(name)s was saved.") % {"name": person.username})
            return redirect("people:list")
    context = {"form": form, "person": person, "password_form": PasswordSetForm()}
    return render(request, "web/people/person_form.html", context)


@admin_only
@require_POST
def person_password(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator sets someone's password; their open sessions end."""
    person = get_object_or_404(User, pk=pk)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            user_password_set(
                user=person, password=form.cleaned_data["password"], actor=_actor(request)
            )
        except PeopleError as error:
            _refused(form, error, "password")
        else:
            if person.pk == request.user.pk:
                update_session_auth_hash(request, person)
            messages.success(request, _("The password of %(name)s was set.") % {"name": person})
            return redirect("people:edit", pk=person.pk)
    initial = {f: getattr(person, f) for f in PersonForm.base_fields}
    context = {"form": PersonForm(initial=initial), "person": person, "password_form": form}
    return render(request, "web/people/person_form.html", context, status=400)


@admin_only
@require_http_methods(GET_POST)
def team_new(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team_create(actor=_actor(request), **form.cleaned_data)
        except PeopleError as error:
            _refused(form, error)
        else:
            return redirect("people:list")
    return render(request, "web/people/team_form.html", {"form": form, "team": None})


@admin_only
@require_http_methods(GET_POST)
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    initial = {f: getattr(team, f) for f in ("name", "function", "lead", "parent")}
    form = TeamForm(request.POST or None, initial=initial, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            team_update(team=team, actor=_actor(request), **form.cleaned_data)
        except PeopleError as error:
            _refused(form, error)
        else:
            return redirect("people:list")
    return render(request, "web/people/team_form.html", {"form": form, "team": team})


def _me_page(request: HttpRequest, **forms_given: forms.Form) -> dict[str, Any]:
    assert isinstance(request.user, User)
    return {
        "person": request.user,
        "language_form": forms_given.get("language_form")
        or LanguageForm(initial={"language": request.user.language}),
        "password_form": forms_given.get("password_form") or PasswordChangeForm(request.user),
    }


@login_required
@require_http_methods(GET_POST)
def me(request: HttpRequest) -> HttpResponse:
    """My role and team; my language."""
    assert isinstance(request.user, User)
    form = LanguageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        user_language_set(user=request.user, language=language, actor=_actor(request))
        messages.success(request, _("Your preferences were saved."))
        return redirect("me")
    context = _me_page(request, **({"language_form": form} if request.method == "POST" else {}))
    return render(request, "web/people/me.html", context)


@login_required
@require_POST
def me_password(request: HttpRequest) -> HttpResponse:
    """Change my own password: the current one, then a new one that meets the policy."""
    assert isinstance(request.user, User)
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        password = form.cleaned_data["new_password1"]
        user_password_set(user=request.user, password=password, actor=_actor(request))
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password was changed."))
        return redirect("me")
    return render(request, "web/people/me.html", _me_page(request, password_form=form), status=400)


app_name = "people"
urlpatterns = [
    path("", people_list, name="list"),
    path("new/", person_create, name="create"),
    path("<int:pk>/", person_edit, name="edit"),
    path("<int:pk>/password/", person_password, name="password"),
    path("teams/new/", team_new, name="team_create"),
    path("teams/<int:pk>/", team_edit, name="team_edit"),
]
