"""Signing in: lock-out, one message for every refusal, session rotation and time-outs, headers."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.utils import timezone

from kam.people.models import SignInThrottle, User
from kam.people.services import user_create
from kam.web.middleware import SEEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
REFUSED = b"Wrong user name or password."
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def dana() -> User:
    return user_create(username="dana", password=PASSWORD, role="director")


def _sign_in(password: str, username: str = "dana", **extra: Any) -> Any:
    return HttpClient().post("/login/", {"username": username, "password": password}, **extra)


def _signed_in_client() -> HttpClient:
    client = HttpClient()
    response = client.post("/login/", {"username": "dana", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    return client


def test_five_failures_lock_the_name_even_for_the_right_password(dana: User) -> None:
    for _ in range(5):
        assert REFUSED in _sign_in("wrong-wrong-wrong").content
    locked = _sign_in(PASSWORD)
    assert locked.status_code == 200 and REFUSED in locked.content
    assert "_auth_user_id" not in locked.client.session


def _page(response: Any, username: str) -> bytes:
    """The page without its per-response CSRF tokens and the name typed."""
    return re.sub(rb"[A-Za-z0-9]{64}", b"", response.content).replace(username.encode(), b"NAME")


def test_a_locked_name_gets_the_same_answer_as_an_unknown_one(dana: User) -> None:
    for _ in range(5):
        _sign_in("wrong-wrong-wrong")
    locked, unknown = _sign_in(PASSWORD), _sign_in(PASSWORD, username="ghost")
    wrong = _sign_in("wrong-wrong-wrong", username="other", REMOTE_ADDR="10.9.9.9")
    assert locked.status_code == unknown.status_code == wrong.status_code == 200
    assert _page(locked, "dana") == _page(unknown, "ghost") == _page(wrong, "other")
    assert REFUSED in locked.content


def test_a_locked_name_costs_no_password_hashing(
    dana: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        _sign_in("wrong-wrong-wrong")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("django.contrib.auth.forms.authenticate", lambda *a, **kw: calls.append(kw))
    _sign_in(PASSWORD)
    assert calls == []
    _sign_in(PASSWORD, username="someone-else", REMOTE_ADDR="10.9.9.9")
    assert len(calls) == 1


def test_the_name_can_sign_in_again_once_the_lock_has_passed(dana: User) -> None:
    for _ in range(5):
        _sign_in("wrong-wrong-wrong")
    past = timezone.now() - dt.timedelta(minutes=16)
    SignInThrottle.objects.filter(key="user:dana").update(window_started_at=past, locked_until=past)
    SignInThrottle.objects.filter(key__startswith="addr:").delete()
    assert _sign_in(PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_failures(dana: User) -> None:
    for _ in range(4):
        _sign_in("wrong-wrong-wrong")
    assert _sign_in(PASSWORD).status_code == 302
    for _ in range(4):
        _sign_in("wrong-wrong-wrong")
    assert _sign_in(PASSWORD).status_code == 302


def test_a_post_without_a_password_does_not_clear_the_failures(dana: User) -> None:
    for _ in range(4):
        _sign_in("wrong-wrong-wrong")
    assert _sign_in("").status_code == 200
    _sign_in("wrong-wrong-wrong")
    assert REFUSED in _sign_in(PASSWORD).content


def test_an_inactive_person_gets_the_same_answer(dana: User) -> None:
    User.objects.filter(pk=dana.pk).update(is_active=False)
    response = _sign_in(PASSWORD)
    assert response.status_code == 200 and REFUSED in response.content


def test_behind_a_proxy_the_forwarded_address_is_counted(dana: User, settings: Any) -> None:
    settings.KAM_PROXY_HOPS = 1
    _sign_in("wrong-wrong-wrong", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")
    assert SignInThrottle.objects.filter(key="addr:203.0.113.5").exists()


def test_signing_in_rotates_the_session_key(dana: User) -> None:
    client = HttpClient()
    session = client.session
    session["before"] = "sign-in"
    session.save()
    before = session.session_key
    assert before is not None
    client.cookies["sessionid"] = before
    client.post("/login/", {"username": "dana", "password": PASSWORD})
    after = client.cookies["sessionid"].value
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["before"] == "sign-in"  # the data moves to the new key


def _age_session(client: HttpClient, *, signed_in: float, seen: float) -> None:
    now = timezone.now().timestamp()
    session = client.session
    session[SIGNED_IN_AT], session[SEEN_AT] = now - signed_in, now - seen
    session.save()


def test_a_session_idle_past_the_limit_is_signed_out(dana: User) -> None:
    client = _signed_in_client()
    _age_session(client, signed_in=31 * 60, seen=29 * 60)
    assert client.get("/me/").status_code == 200
    _age_session(client, signed_in=62 * 60, seen=31 * 60)
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert b"Your session has ended" in client.get(response["Location"]).content


def test_a_busy_session_still_ends_after_the_absolute_limit(dana: User) -> None:
    client = _signed_in_client()
    _age_session(client, signed_in=11.9 * 3600, seen=10)
    assert client.get("/me/").status_code == 200
    _age_session(client, signed_in=12.1 * 3600, seen=10)
    assert client.get("/me/").status_code == 302


def test_an_expired_htmx_request_sends_the_browser_to_sign_in(dana: User) -> None:
    client = _signed_in_client()
    _age_session(client, signed_in=3600, seen=3600)
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/login/"


def test_the_time_outs_come_from_the_settings(dana: User, settings: Any) -> None:
    settings.KAM_SESSION_IDLE_MINUTES = 5
    client = _signed_in_client()
    _age_session(client, signed_in=6 * 60, seen=6 * 60)
    assert client.get("/me/").status_code == 302


def test_every_page_sends_the_security_headers() -> None:
    response = HttpClient().get("/login/")
    directives = (
        part.strip().partition(" ") for part in response["Content-Security-Policy"].split(";")
    )
    csp = {name: value for name, _, value in directives}
    assert csp["script-src"] == "'self'" and "unsafe" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def _deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy --fail-level WARNING` in a fresh process with only `env` set."""
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE, which the check rightly refuses.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "DJANGO_ALLOW"))}
    clean.update(KAM_HOME=str(tmp_path), KAM_SECRET_KEY=secrets.token_urlsafe(50), **env)
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=REPO, env=clean, capture_output=True, text=True, check=False)


def test_the_deploy_check_passes_with_production_settings(tmp_path: Path) -> None:
    done = _deploy_check(tmp_path, KAM_PRODUCTION="1", KAM_ALLOWED_HOSTS="kam.example.com")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_deploy_check_fails_without_production_settings(tmp_path: Path) -> None:
    done = _deploy_check(tmp_path)
    assert done.returncode != 0 and "SECURE_HSTS_SECONDS" in done.stderr + done.stdout
