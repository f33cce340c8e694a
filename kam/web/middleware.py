"""Small middlewares: security headers, each user's language, session time-outs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone, translation
from django.utils.translation import gettext as _

Handler = Callable[[HttpRequest], HttpResponse]

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # plotly.js sets inline styles on the elements it draws
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def security_headers(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    return middleware


def user_language(get_response: Handler) -> Handler:
    """A signed-in user's saved language wins over the browser's."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return get_response(request)

    return middleware


SIGNED_IN_AT = "kam_signed_in_at"
SEEN_AT = "kam_seen_at"
# Writing the last-seen time at most once a minute spares a session save per request.
SEEN_RESOLUTION_SECONDS = 60


def session_started(session: Any) -> None:
    """Note the sign-in time; the absolute time-out counts from here."""
    now = timezone.now().timestamp()
    session[SIGNED_IN_AT] = session[SEEN_AT] = now


def session_expired(session: Any) -> bool:
    """Whether the session has been idle too long or lived too long; notes this visit."""
    now = timezone.now().timestamp()
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if signed_in is None or seen is None:
        session_started(session)
        return False
    idle = now - seen > settings.KAM_SESSION_IDLE_MINUTES * 60
    if idle or now - signed_in > settings.KAM_SESSION_MAX_HOURS * 3600:
        return True
    if now - seen >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return False


def session_timeouts(get_response: Handler) -> Handler:
    """Sign out a session idle for KAM_SESSION_IDLE_MINUTES or older than KAM_SESSION_MAX_HOURS."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and session_expired(request.session):
            logout(request)
            messages.info(request, _("Your session has ended. Please sign in again."))
            if request.headers.get("HX-Request") == "true":
                return HttpResponse(headers={"HX-Redirect": resolve_url(settings.LOGIN_URL)})
        return get_response(request)

    return middleware
