"""Writes about people and teams; each one is recorded in the audit trail."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.audit.models import AuditEvent
from kam.audit.services import Actor, apply_changes, audit_changes, audit_event
from kam.common.errors import DomainError
from kam.people.models import Function, Role, Team, User

DEMO_USERNAME = "director"
SYSTEM = Actor(user=None, interface=AuditEvent.Interface.SYSTEM, label="system")
USER_AUDITED = ("username", "first_name", "last_name", "email", "role", "team", "is_active")


class PeopleError(DomainError):
    code = "people_error"


def _password_check(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise PeopleError(" ".join(error.messages)) from None


def _role_check(role: str) -> None:
    if role not in Role.values:
        raise PeopleError(
            _("Unknown role %(role)s; roles: %(roles)s")
            % {"role": repr(role), "roles": ", ".join(Role.values)}
        )


def _admin_flags(user: User) -> None:
    user.is_staff = user.is_superuser = user.role == Role.ADMIN


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    actor: Actor = SYSTEM,
) -> User:
    """A new person with a valid role and a password that meets the policy."""
    _role_check(role)
    username = User.normalize_username(username.strip())
    if not username:
        raise PeopleError(_("A user name is required."))
    try:
        User.username_validator(username)
    except ValidationError as error:
        raise PeopleError(" ".join(error.messages)) from None
    if User.objects.filter(username__iexact=username).exists():
        raise PeopleError(_("A user named %(name)s already exists.") % {"name": repr(username)})
    user = User(
        username=username, email=email, role=role, first_name=first_name, last_name=last_name
    )
    user.team = team
    _password_check(password, user)
    user.set_password(password)
    _admin_flags(user)
    user.save()
    changes = {f: (None, getattr(user, f)) for f in USER_AUDITED}
    audit_changes(actor=actor, instance=user, changes=changes, action=AuditEvent.Action.CREATE)
    return user


def _active_admins_after(user: User, *, role: str, is_active: bool) -> int:
    others = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).count()
    return others + (role == Role.ADMIN and is_active)


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: Actor,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    team: Team | None,
    is_active: bool,
) -> int:
    """Change a person's name, e-mail, role, team or active flag; returns the fields changed."""
    _role_check(role)
    was_admin = user.role == Role.ADMIN and user.is_active
    if was_admin and _active_admins_after(user, role=role, is_active=is_active) == 0:
        raise PeopleError(_("KAM needs at least one active administrator."))
    values: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "role": role,
        "team": team,
        "is_active": is_active,
    }
    changes = apply_changes(user, values)
    if not changes:
        return 0
    _admin_flags(user)
    user.save()
    return audit_changes(actor=actor, instance=user, changes=changes)


@transaction.atomic
def user_password_set(*, user: User, password: str, actor: Actor) -> None:
    """A new password that meets the policy; the person's other sessions end."""
    _password_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        entity=User._meta.label,
        entity_id=str(user.pk),
        detail="password set",
    )


@transaction.atomic
def user_language_set(*, user: User, language: str, actor: Actor) -> int:
    """The interface language a person prefers ('' follows the browser)."""
    if language and language not in dict(settings.LANGUAGES):
        raise PeopleError(_("Unknown language %(code)s.") % {"code": repr(language)})
    changes = apply_changes(user, {"language": language})
    if not changes:
        return 0
    user.save(update_fields=["language"])
    return audit_changes(actor=actor, instance=user, changes=changes)


def _function(value: str) -> str:
    if value not in Function.values:
        raise PeopleError(_("Choose the team's function."))
    return value


def _team_check(*, name: str, parent: Team | None, team: Team | None) -> str:
    name = name.strip()
    if not name:
        raise PeopleError(_("A team name is required."))
    same = Team.objects.filter(name__iexact=name)
    if team is not None:
        same = same.exclude(pk=team.pk)
    if same.exists():
        raise PeopleError(_("A team named %(name)s already exists.") % {"name": repr(name)})
    ancestor = parent
    while ancestor is not None and team is not None:
        if ancestor.pk == team.pk:
            raise PeopleError(_("A team cannot sit under itself or under one of its own teams."))
        ancestor = ancestor.parent
    return name


@transaction.atomic
def team_create(
    *,
    name: str,
    actor: Actor,
    lead: User | None = None,
    parent: Team | None = None,
    function: str | None = None,
) -> Team:
    """A new team, with an optional lead and parent team, and the company function it serves."""
    name = _team_check(name=name, parent=parent, team=None)
    team = Team(name=name, lead=lead, parent=parent, function=_function(function or Function.KAM))
    team.save()
    changes = {f: (None, getattr(team, f)) for f in ("name", "function", "lead", "parent")}
    audit_changes(actor=actor, instance=team, changes=changes, action=AuditEvent.Action.CREATE)
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: Actor,
    name: str,
    lead: User | None,
    parent: Team | None,
    function: str | None = None,
) -> int:
    """Rename a team or change its lead, parent or function; returns the fields changed."""
    name = _team_check(name=name, parent=parent, team=team)
    values: dict[str, Any] = {"name": name, "lead": lead, "parent": parent}
    if function is not None:
        values["function"] = _function(function)
    changes = apply_changes(team, values)
    if not changes:
        return 0
    team.save()
    return audit_changes(actor=actor, instance=team, changes=changes)


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


def demo_user_exists() -> bool:
    return User.objects.filter(username=DEMO_USERNAME).exists()


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
    changes = {f: (None, getattr(user, f)) for f in USER_AUDITED}
    audit_changes(actor=SYSTEM, instance=user, changes=changes, action=AuditEvent.Action.CREATE)
    return DEMO_USERNAME, password
