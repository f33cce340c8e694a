"""A person's own API tokens: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kam.api.models import ApiToken
from kam.api.selectors import tokens_of
from kam.api.services import TokenError, token_create, token_revoke
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.people.models import User


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What will use it, e.g. “ERP nightly export”."),
    )


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_http_methods(["GET", "POST"])
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """Your tokens; a new one's secret is on the page that created it, and nowhere else."""
    person = _person(request)
    form = TokenForm(request.POST or None)
    plain = ""
    if request.method == "POST" and form.is_valid():
        actor = Actor(user=person, interface=AuditEvent.Interface.WEB)
        try:
            _token, plain = token_create(user=person, name=form.cleaned_data["name"], actor=actor)
        except TokenError as error:
            form.add_error("name", str(error))
        else:
            form = TokenForm()
    context = {"form": form, "plain": plain, "tokens": tokens_of(user=person)}
    status = 400 if request.method == "POST" and not plain else 200
    response = render(request, "web/tokens/list.html", context, status=status)
    add_never_cache_headers(response)  # the page may hold a secret
    return response


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of your own tokens; anyone else's is not found."""
    person = _person(request)
    token = get_object_or_404(ApiToken, pk=pk, user=person)
    token_revoke(token=token, actor=Actor(user=person, interface=AuditEvent.Interface.WEB))
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("tokens:list")


app_name = "tokens"
urlpatterns = [
    path("", token_list, name="list"),
    path("<int:pk>/revoke/", token_revoke_view, name="revoke"),
]
