"""`kam createuser` goes through the people service: the policy holds and the trail records it."""

from __future__ import annotations

import pytest

from kam.audit.models import AuditEvent
from kam.cli import main
from kam.people.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"


def test_kam_createuser_records_the_command_line_as_the_interface(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["createuser", "root", "--role", "admin", "--password", PASSWORD]) == 0
    assert "created root" in capsys.readouterr().out
    user = User.objects.get(username="root")
    event = AuditEvent.objects.get(entity_id=str(user.pk), field="role")
    assert (event.interface, event.new_value, event.actor) == ("cli", "admin", None)
    assert user.is_superuser


def test_kam_createuser_refuses_a_weak_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["createuser", "root", "--role", "admin", "--password", "root"]) == 2
    assert "too short" in capsys.readouterr().err
    assert not User.objects.exists()
