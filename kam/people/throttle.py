"""Sign-in throttling: repeated failures lock a user name, and an address, for a while.

Method: failures are counted in `SignInThrottle` rows, one per normalised user
name (NFKC, trimmed, case-folded) and one per client address. A window opens
at the first failure and lasts `KAM_LOGIN_LOCK_MINUTES`; the failure that
reaches the limit (`KAM_LOGIN_MAX_FAILURES` for a name,
`KAM_LOGIN_MAX_FAILURES_PER_ADDRESS` for an address) locks the key for
`KAM_LOGIN_LOCK_MINUTES`. While a key is locked the password is not checked
and nothing more is counted.

Names are counted whether or not such a user exists, so a lock-out tells an
attacker nothing about which names exist. A successful sign-in clears the
name's count but not the address's, so one valid account cannot reset the
address limit for guessing others.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kam.people.models import SignInThrottle


def username_key(username: str) -> str:
    return "user:" + unicodedata.normalize("NFKC", username).strip().casefold()[:150]


def address_key(address: str) -> str:
    return "addr:" + address[:100]


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.KAM_LOGIN_LOCK_MINUTES)


def sign_in_is_locked(*, username: str, address: str) -> bool:
    """Whether sign-in for this name, or from this address, is paused."""
    keys = [username_key(username), address_key(address)]
    return SignInThrottle.objects.filter(key__in=keys, locked_until__gt=timezone.now()).exists()


@transaction.atomic
def sign_in_failure_record(*, username: str, address: str) -> None:
    """Count one failed sign-in against the name and the address."""
    now = timezone.now()
    _forget_expired(now)
    _count(username_key(username), settings.KAM_LOGIN_MAX_FAILURES, now)
    _count(address_key(address), settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS, now)


def sign_in_failures_clear(*, username: str) -> None:
    """A successful sign-in forgets the name's failures."""
    SignInThrottle.objects.filter(key=username_key(username)).delete()


def _count(key: str, limit: int, now: dt.datetime) -> None:
    row, _ = SignInThrottle.objects.select_for_update().get_or_create(
        key=key, defaults={"window_started_at": now}
    )
    if row.window_started_at <= now - _window():
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + _window()
    row.save()


def _forget_expired(now: dt.datetime) -> None:
    # Keeps the table as small as the names tried in the last window.
    unlocked = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    SignInThrottle.objects.filter(unlocked, window_started_at__lte=now - _window()).delete()
