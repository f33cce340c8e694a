"""A setting the environment gets wrong stops the command with its name and what it takes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CASES = [
    ({"KAM_FISCAL_YEAR_START": "13"}, "KAM_FISCAL_YEAR_START='13': a whole number from 1 to 12"),
    ({"KAM_PORT": "x"}, "KAM_PORT='x': a whole number from 1 to 65535"),
    ({"KAM_CURRENCY": "euro"}, "KAM_CURRENCY='EURO': a three-letter ISO 4217 code"),
    ({"KAM_ABC_A": "abc"}, "KAM_ABC_A='abc': a share above 0 and at most 1"),
    ({"KAM_PORT": "²"}, "KAM_PORT='²': a whole number from 1 to 65535"),
    ({"KAM_ABC_A": "0.99", "KAM_ABC_B": "0.5"}, "KAM_ABC_B='0.5': at least KAM_ABC_A (0.99)"),
    (
        {"DATABASE_URL": "nosuch://kam:secret@db/kam?password=secret"},
        "DATABASE_URL='nosuch://db/kam': a URL such as postgresql://",
    ),
    ({"DATABASE_URL": "garbage"}, "DATABASE_URL='…': a URL such as postgresql://"),
]


@pytest.mark.parametrize(
    "variables",
    [
        {"KAM_ABC_A": "0.9", "KAM_ABC_B": "0.9"},  # no class B
        {"KAM_ABC_A": "1", "KAM_ABC_B": "1"},
        {"KAM_PORT": " 8001 ", "KAM_FISCAL_YEAR_START": "07", "KAM_CURRENCY": " ron "},
    ],
)
def test_settings_the_analysis_accepts_are_accepted(
    tmp_path: Path, variables: dict[str, str]
) -> None:
    done = _kam(tmp_path, variables, "migrate")
    assert done.returncode == 0, done.stderr


def _kam(tmp_path: Path, variables: dict[str, str], command: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "DATABASE_URL"))}
    env.update(KAM_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="kam.settings", **variables)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from kam.cli import main; sys.exit(main())", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("variables", "message"), CASES)
def test_a_wrong_setting_stops_the_command_clearly(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    done = _kam(tmp_path, variables, "analyze")
    assert done.returncode == 2
    assert done.stderr.startswith(f"kam analyze: {message}")
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
