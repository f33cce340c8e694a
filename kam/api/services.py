"""Writes of the API app: personal tokens, created and revoked by their owner.

A token is `kam_` followed by 43 URL-safe characters (256 random bits). Only its
SHA-256 digest is stored: a secret that strong needs no slow hash, and a digest
can be looked up directly. The plain token is returned once, at creation.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.api.models import ApiToken
from kam.audit.models import AuditEvent
from kam.audit.services import Actor, audit_changes
from kam.common.errors import DomainError
from kam.people.models import User

TOKEN_PREFIX = "kam_"
MAX_ACTIVE_TOKENS = 20
TOUCH_EVERY = timedelta(minutes=1)  # how stale last_used_at may get, to spare writes


class TokenError(DomainError):
    code = "token_error"


def token_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its plain text, which is never stored."""
    name = name.strip()
    if not name:
        raise TokenError(_("Give the token a name, e.g. the script that will use it."))
    if len(name) > 100:
        raise TokenError(_("A token name has at most 100 characters."))
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise TokenError(
            _("You have %(count)s active tokens; revoke one first.") % {"count": active}
        )
    secret = secrets.token_urlsafe(32)
    plain = TOKEN_PREFIX + secret
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:8], digest=token_digest(plain)
    )
    changes = {"user": (None, user.username), "name": (None, name), "prefix": (None, secret[:8])}
    audit_changes(actor=actor, instance=token, changes=changes, action=AuditEvent.Action.CREATE)
    return token, plain


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Actor) -> int:
    """Stop a token from working, for good; returns 0 when it was already revoked."""
    if token.revoked_at is not None:
        return 0
    now = timezone.now()
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    return audit_changes(actor=actor, instance=token, changes={"revoked_at": (None, now)})


def token_authenticate(*, plain: str) -> User | None:
    """The active person a token belongs to, or None; notes when the token was used."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(plain), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user: Any = token.user
    return user if isinstance(user, User) else None
