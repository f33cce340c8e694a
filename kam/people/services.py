"""Writes about people."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from kam.common.errors import DomainError
from kam.people.models import Role, User

DEMO_USERNAME = "director"


class PeopleError(DomainError):
    code = "people_error"


def user_create(*, username: str, password: str, role: str, email: str = "") -> User:
    """A new person with a valid role and a password that meets the policy."""
    if role not in Role.values:
        raise PeopleError(f"unknown role {role!r}; roles: {', '.join(Role.values)}")
    if User.objects.filter(username=username).exists():
        raise PeopleError(f"a user named {username!r} already exists")
    candidate = User(username=username, email=email, role=role)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise PeopleError(" ".join(error.messages)) from None
    candidate.set_password(password)
    candidate.is_staff = role == Role.ADMIN
    candidate.is_superuser = role == Role.ADMIN
    candidate.save()
    return candidate


def _demo_password() -> str:
    return os.environ.get("KAM_DEMO_PASSWORD", "kam-demo-director")


def demo_sign_in() -> tuple[str, str] | None:
    """The demo credentials while they still work (never in production)."""
    if settings.PRODUCTION:
        return None
    user = User.objects.filter(username=DEMO_USERNAME).first()
    if user is None or not user.check_password(_demo_password()):
        return None
    return DEMO_USERNAME, _demo_password()


def demo_user_ensure() -> tuple[str, str | None]:
    """The demo director for a local trial, created once; never in production."""
    if settings.PRODUCTION:
        return DEMO_USERNAME, None
    password = _demo_password()
    if User.objects.filter(username=DEMO_USERNAME).exists():
        return DEMO_USERNAME, password if demo_sign_in() else None
    user = User(username=DEMO_USERNAME, role=Role.DIRECTOR, first_name="Demo", last_name="Director")
    user.set_password(password)
    user.save()
    return DEMO_USERNAME, password
