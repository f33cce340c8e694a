"""Signing in: the throttled form and view.

Every refusal — unknown name, wrong password, inactive person, paused name or
address — shows the same message, so the page tells nobody which names exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from kam.people.throttle import sign_in_failure_record, sign_in_failures_clear, sign_in_is_locked
from kam.web.middleware import session_started

REFUSED = _("Wrong user name or password.")


def client_address(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the one our own proxies put in X-Forwarded-For."""
    hops = settings.KAM_PROXY_HOPS
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    forwarded = [a.strip() for a in header.split(",")]
    # Each trusted proxy appends the address it saw; anything further left may be forged.
    if hops > 0 and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))


class SignInForm(AuthenticationForm):
    error_messages = {"invalid_login": REFUSED, "inactive": REFUSED}  # noqa: RUF012 (Django's API)

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request else ""
        # Checked before the password, so a paused name costs no hashing work.
        if sign_in_is_locked(username=username, address=address):
            raise ValidationError(REFUSED, code="invalid_login")
        try:
            cleaned = super().clean()
        except ValidationError:
            sign_in_failure_record(username=username, address=address)
            raise
        if self.user_cache is not None:
            sign_in_failures_clear(username=username)
        return cleaned


class SignInView(LoginView):
    template_name = "web/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        session_started(self.request.session)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["max_failures"] = settings.KAM_LOGIN_MAX_FAILURES
        context["lock_minutes"] = settings.KAM_LOGIN_LOCK_MINUTES
        return context
