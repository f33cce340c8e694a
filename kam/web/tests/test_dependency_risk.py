"""The dashboard's dependency-risk warning, on small ledgers written by each test."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from kam.analytics.selectors import concentration_analysis
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import Role, User
from kam.people.services import user_create
from kam.web import views
from kam.web.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "invoice,date,client,client_name,product,quantity,unit_price,cost"
# C01 carries 300 of 1400 (21 %) of revenue; the top 5 carry 700 (exactly 50 %).
# Gross margin: C02 carries 100 of 160 (62.5 %); the top 5 carry 125 (78 %).
GIANT: list[tuple[str, str, str]] = [
    ("C01", "300", "290"),
    ("C02", "100", "0"),
    *((f"C{n:02}", "100", "95") for n in range(3, 13)),
]
EVEN = [(f"C{n:02}", "100", "95") for n in range(1, 21)]  # 20 clients at 5 % each


def _ledger(
    store: Store, tmp_path: Path, clients: Sequence[tuple[str, str, str]], *, costs: bool = True
) -> None:
    lines = [HEADER]
    for i, (client, amount, cost) in enumerate(clients, start=1):
        lines.append(
            f"F{i},2024-03-{i:02},{client},Client {client},P1,1,{amount},{cost if costs else ''}"
        )
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ledger_import(store=store, paths=[path]).ok


def _dashboard(user: User, **params: Any) -> str:
    client = HttpClient()
    client.force_login(user)
    response = client.get("/", {"year": 2024, **params})
    assert response.status_code == 200
    return response.content.decode()


def _risks(page: str) -> dict[str, str]:
    """data-test of each warning line -> its text, tags removed."""
    if 'data-test="risk"' not in page:
        return {}
    block = page.split('data-test="risk"')[1].split("</section>")[0]
    found = re.findall(r'<li data-test="risk-([a-z]+-[a-z]+)">(.*?)</li>', block, re.S)
    return {key: " ".join(re.sub(r"<[^>]+>", "", text).split()) for key, text in found}


def _person(username: str, role: str) -> User:
    return user_create(username=username, password=PASSWORD, role=role)


def test_one_client_above_the_limit_is_named_with_its_share_and_a_link(
    store: Store, tmp_path: Path, director: User
) -> None:
    _ledger(store, tmp_path, GIANT)
    page = _dashboard(director)
    risks = _risks(page)
    assert risks["revenue-client"] == "Client C01 carries 21.4 % of net revenue (limit 10.0 %)."
    assert "revenue-top" not in risks  # the top 5 carry exactly 50 %: not more than the limit
    assert 'role="alert"' in page.split('data-test="risk"')[0][-200:]
    block = page.split('data-test="risk"')[1].split("</section>")[0]
    assert 'href="/clients/C01/"' in block
    # gross margin where cost is known: another client carries it
    assert risks["margin-client"] == "Client C02 carries 62.5 % of the gross margin (limit 10.0 %)."
    assert risks["margin-top"].startswith(
        "The top 5 clients carry 78.1 % of the gross margin together (limit 50.0 %):"
    )
    assert risks["margin-top"].endswith(
        "Client C02, Client C01, Client C03, Client C04, Client C05."
    )


def test_no_warning_when_every_share_is_below_its_limit(
    store: Store, tmp_path: Path, director: User
) -> None:
    _ledger(store, tmp_path, EVEN)
    page = _dashboard(director)
    assert _risks(page) == {}
    assert "Dependency risk" not in page


def test_no_margin_risk_without_known_cost(store: Store, tmp_path: Path, director: User) -> None:
    _ledger(store, tmp_path, GIANT, costs=False)
    assert set(_risks(_dashboard(director))) == {"revenue-client"}


def test_the_settings_move_the_limits(
    store: Store, tmp_path: Path, director: User, settings: Any
) -> None:
    _ledger(store, tmp_path, GIANT)
    assert "revenue-client" in _risks(_dashboard(director))
    settings.KAM_RISK_CLIENT_SHARE = 0.25
    settings.KAM_RISK_TOP_SHARE = 0.40
    risks = _risks(_dashboard(director))  # the memoised dashboard follows the settings
    assert "revenue-client" not in risks
    assert risks["revenue-top"].startswith(
        "The top 5 clients carry 50.0 % of net revenue together (limit 40.0 %):"
    )
    assert "margin-client" in risks  # 62.5 % > 25 %
    settings.KAM_RISK_TOP_N = 3
    risks = _risks(_dashboard(director))
    assert "revenue-top" not in risks  # the top 3 carry 35.7 %
    assert risks["margin-top"].startswith("The top 3 clients carry 71.9 % of the gross margin")


def test_a_team_member_sees_revenue_risk_on_their_accounts_but_never_margin(
    store: Store, tmp_path: Path, director: User
) -> None:
    _ledger(store, tmp_path, GIANT)
    lou = _person("lou", Role.TEAM_MEMBER)
    for external_id in ("C01", "C02", "C03"):
        AccountTeamMember.objects.create(
            client=Client.objects.get(external_id=external_id), user=lou, function="sales"
        )
    page = _dashboard(lou)
    risks = _risks(page)
    # over what they see: C01 carries 300 of 500
    assert risks == {
        "revenue-client": "Client C01 carries 60.0 % of net revenue (limit 10.0 %).",
    }
    assert "gross margin" not in page
    assert "Shares of what these figures cover" in page


def test_a_manager_sees_risk_within_their_clients_with_margin(
    store: Store, tmp_path: Path, director: User
) -> None:
    _ledger(store, tmp_path, GIANT)
    kim = _person("kim", Role.KEY_ACCOUNT_MANAGER)
    Client.objects.filter(external_id__in=["C04", "C05", "C06"]).update(manager=kim)
    risks = _risks(_dashboard(kim))
    # three equal clients: the first by client id carries a third of each measure
    assert risks["revenue-client"] == "Client C04 carries 33.3 % of net revenue (limit 10.0 %)."
    assert risks["margin-client"] == "Client C04 carries 33.3 % of the gross margin (limit 10.0 %)."
    assert "C01" not in "".join(risks.values())


def test_the_dashboard_stays_memoised_for_those_who_see_everything(
    store: Store, tmp_path: Path, director: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ledger(store, tmp_path, GIANT)
    calls: list[int] = []
    analyse = concentration_analysis

    def counted(**kwargs: Any) -> Any:
        calls.append(1)
        return analyse(**kwargs)

    monkeypatch.setattr(views, "concentration_analysis", counted)
    views.dashboard_memo_clear()
    first = _risks(_dashboard(director))
    assert _risks(_dashboard(director)) == first and len(calls) == 1
    settings.KAM_RISK_CLIENT_SHARE = 0.5  # another policy is another memo entry
    assert "revenue-client" not in _risks(_dashboard(director)) and len(calls) == 2


class _RunAtOnce:
    """The warm-up thread, run at once in the test's own thread."""

    started: ClassVar[list[str]] = []

    def __init__(self, *, target: Any, name: str, **_: Any) -> None:
        self.target, self.name = target, name

    def start(self) -> None:
        self.started.append(self.name)
        self.target()


def test_a_serving_process_prepares_the_dashboard_after_each_import(
    store: Store, tmp_path: Path, director: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first view after an import is read from the figures computed in the background."""
    started: list[str] = []
    monkeypatch.setattr(views, "Thread", _RunAtOnce)
    monkeypatch.setattr(_RunAtOnce, "started", started)
    monkeypatch.setattr(views, "_SERVING", threading.Event())
    views.dashboard_memo_clear()
    _ledger(store, tmp_path, EVEN)
    assert started == []  # not a serving process (the command line, the tests)
    views.serving_start()
    assert started == ["kam-pages-warm"]
    _ledger(store, tmp_path, GIANT)  # a new snapshot: warmed again after the import commits
    assert started == ["kam-pages-warm"] * 2
    calls: list[int] = []
    monkeypatch.setattr(views, "concentration_analysis", lambda **kw: calls.append(1))
    for language in ("en", "ro"):
        director.language = language
        director.save(update_fields=["language"])
        page = _dashboard(director)  # the default period, as warmed
        assert "revenue-client" in _risks(page)
        with translation.override(language):
            label = json.dumps(translation.gettext("Cumulative share of revenue"))
            assert label in page  # the chart's words, as the page's JSON writes them
    assert calls == []


def test_a_change_of_a_scoring_input_warms_the_scores_again(
    store: Store, tmp_path: Path, director: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from kam.accounts.selectors import scores_inputs_version
    from kam.accounts.services import partnership_intent_record
    from kam.audit.services import Actor

    _ledger(store, tmp_path, EVEN)
    runs: list[tuple[object, ...]] = []
    monkeypatch.setattr(views, "_SERVING", threading.Event())
    monkeypatch.setattr(views, "pages_warm", lambda: runs.append(scores_inputs_version()))
    monkeypatch.setattr(views, "Thread", _RunAtOnce)
    views.serving_start()
    client = Client.objects.get(external_id="C01")
    partnership_intent_record(
        actor=Actor(director, "web"), client=client, rating=4, noted_on=dt.date(2024, 5, 1)
    )
    assert len(runs) == 2 and runs[0] != runs[1]  # at start, then with the new rating


def test_health_says_while_the_pages_are_being_prepared(monkeypatch: pytest.MonkeyPatch) -> None:
    assert HttpClient().get("/health/").json() == {"status": "ok", "warming": False}
    monkeypatch.setattr(views, "_AGAIN", threading.Event())
    views._AGAIN.set()
    assert HttpClient().get("/health/").json()["warming"] is True


def test_a_change_made_by_another_process_is_noticed_and_warmed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kam import` from the command line while the server runs: the server's watch
    notices the new snapshot at its next look and prepares the pages then."""
    import datetime as dt

    from kam.analytics.models import SnapshotState

    _ledger(store, tmp_path, EVEN)
    warms: list[int] = []
    monkeypatch.setattr(views, "pages_warm_soon", lambda **_: warms.append(1))
    seen = views.changes_watch_once(None)
    assert warms == []  # the first look only remembers (the start warms)
    assert views.changes_watch_once(seen) == seen and warms == []  # nothing changed
    state = SnapshotState.objects.get(pk=1)  # what another process's import leaves
    state.refreshed_at = state.refreshed_at + dt.timedelta(seconds=1)
    state.save()
    after = views.changes_watch_once(seen)
    assert after != seen and warms == [1]
    assert views.changes_watch_once(after) == after and warms == [1]


def test_the_watch_runs_in_a_daemon_thread_and_looks_until_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[dict[str, Any]] = []

    class Recorder:
        def __init__(self, **kwargs: Any) -> None:
            started.append(kwargs)

        def start(self) -> None:
            started[-1]["started"] = True

    monkeypatch.setattr(threading, "Thread", Recorder)
    views.changes_watch_start()
    assert started == [
        {"target": views._watch_loop, "daemon": True, "name": "kam-changes-watch", "started": True}
    ]
    looks: list[object] = []
    stop = threading.Event()

    def look(seen: object) -> str:
        looks.append(seen)
        if len(looks) == 2:
            raise RuntimeError("the database is away")  # logged; the watch goes on
        if len(looks) == 3:
            stop.set()
        return f"v{len(looks)}"

    closed: list[int] = []
    monkeypatch.setattr(views, "changes_watch_once", look)
    monkeypatch.setattr(views, "_STOP_WATCH", stop)
    monkeypatch.setattr(views, "WATCH_SECONDS", 0.001)
    monkeypatch.setattr(
        views, "connections", type("C", (), {"close_all": lambda: closed.append(1)})
    )
    views._watch_loop()
    assert looks == [None, "v1", "v1"] and len(closed) == 3
