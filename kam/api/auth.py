"""Bearer-token authentication for the API (no session cookies, so no CSRF to check)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from kam.api.services import token_authenticate
from kam.people.models import User


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kam_…`; an unknown, revoked or inactive user's token is 401."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(plain=token.strip())
        if user is not None:
            request.user = user  # the access rule and the audit read request.user
        return user


def request_user(request: HttpRequest) -> User:
    """The person the token named (TokenAuth ran before any operation)."""
    user = request.user
    assert isinstance(user, User)
    return user
