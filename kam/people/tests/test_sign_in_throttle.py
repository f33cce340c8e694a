"""Repeated failed sign-ins lock a user name, and an address, for a while."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kam.people.models import SignInThrottle
from kam.people.throttle import (
    sign_in_failure_record,
    sign_in_failures_clear,
    sign_in_is_locked,
    username_key,
)

pytestmark = pytest.mark.django_db
REAL_NOW = timezone.now


def _fail(times: int, *, username: str = "dana", address: str = "10.0.0.1") -> None:
    for _ in range(times):
        sign_in_failure_record(username=username, address=address)


def _travel(monkeypatch: pytest.MonkeyPatch, minutes: float) -> None:
    """Move the clock `minutes` after the real now."""
    later = REAL_NOW() + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(timezone, "now", lambda: later)


def test_four_failures_do_not_lock_and_the_fifth_does() -> None:
    _fail(4)
    assert not sign_in_is_locked(username="dana", address="10.0.0.9")
    _fail(1)
    assert sign_in_is_locked(username="dana", address="10.0.0.9")


def test_the_name_is_normalised_so_case_and_spaces_do_not_escape_the_count() -> None:
    _fail(2, username="Dana")
    _fail(2, username=" DANA ")
    _fail(1, username="dana")
    assert sign_in_is_locked(username="dAnA", address="10.0.0.9")
    assert username_key("Dana ") == username_key("dana")


def test_an_unknown_name_is_locked_like_a_real_one() -> None:
    _fail(5, username="nobody-here")
    assert sign_in_is_locked(username="nobody-here", address="10.0.0.9")


def test_the_lock_ends_after_the_lock_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(5)
    _travel(monkeypatch, 14)
    assert sign_in_is_locked(username="dana", address="10.0.0.9")
    _travel(monkeypatch, 16)
    assert not sign_in_is_locked(username="dana", address="10.0.0.9")


def test_failures_older_than_the_window_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(4)
    _travel(monkeypatch, 16)
    _fail(1)
    assert not sign_in_is_locked(username="dana", address="10.0.0.9")
    assert SignInThrottle.objects.get(key=username_key("dana")).failures == 1


def test_a_success_clears_the_name_but_not_the_address() -> None:
    _fail(4)
    sign_in_failures_clear(username="dana")
    _fail(1)
    assert not sign_in_is_locked(username="dana", address="10.0.0.9")
    assert SignInThrottle.objects.get(key="addr:10.0.0.1").failures == 5


def test_an_address_is_locked_after_its_own_limit_across_names(settings: Any) -> None:
    settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    for name in ("ana", "bob", "cid", "dan", "eve"):
        _fail(1, username=name, address="10.0.0.7")
    assert not sign_in_is_locked(username="zoe", address="10.0.0.7")
    _fail(1, username="fay", address="10.0.0.7")
    assert sign_in_is_locked(username="zoe", address="10.0.0.7")
    assert not sign_in_is_locked(username="zoe", address="10.0.0.8")


def test_the_limits_come_from_the_settings(settings: Any) -> None:
    settings.KAM_LOGIN_MAX_FAILURES = 2
    _fail(2)
    assert sign_in_is_locked(username="dana", address="10.0.0.9")
