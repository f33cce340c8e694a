"""Time the dashboard, the clients list and the client page over loopback.

    .venv/bin/python benchmarks/pages.py                 # 100k clients x 3 years
    .venv/bin/python benchmarks/pages.py --clients 20000 --requests 100

The script builds a metrics snapshot for N clients and 3 years straight into
the operational store of a throwaway KAM_HOME (bulk inserts, no ledger: pages
never read the ledger), starts `kam serve` on a free loopback port, signs in
as a director and as a key-account manager, and requests each page a bounded
number of times. It prints p50 / p95 / max per page and the number of SQL
queries each page runs (counted in-process with Django's test client).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
KAM = str(VENV_BIN / "kam") if (VENV_BIN / "kam").exists() else "kam"
YEARS = (2022, 2023, 2024)
CATEGORIES = ("Tools", "Paint", "Fasteners", "Electrical", "Plumbing", "Garden", "Safety")
COUNTRIES = ("RO", "MD", "BG", "HU", "DE", "PL")
PASSWORD = "bench-password-2024"
BATCH = 20_000
MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class Timing:
    page: str
    who: str
    samples: list[float]
    queries: int
    first: float  # the kind's first request, before any memo of the server is warm

    def row(self) -> str:
        ordered = sorted(self.samples)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        return (
            f"{self.page:<34} {self.who:<9} {len(ordered):>5} "
            f"{statistics.median(ordered) * 1000:>8.1f} {p95 * 1000:>8.1f} "
            f"{ordered[-1] * 1000:>8.1f} {self.first * 1000:>8.1f} {self.queries:>8}"
        )


def _insert(sql: str, rows: Iterator[tuple[Any, ...]]) -> int:
    from django.db import connection

    done, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                cursor.executemany(sql, batch)
                done, batch = done + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
    return done + len(batch)


def _revenues(n: int, rnd: random.Random) -> list[int]:
    """A Zipf-like spread of yearly revenue in micros, largest first."""
    return sorted(
        (int(2_000_000 / (i + 1) ** 0.9 * rnd.uniform(0.5, 1.5)) * MICROS for i in range(n)),
        reverse=True,
    )


def build_snapshot(clients: int, seed: int) -> tuple[list[str], list[str]]:
    """Clients, users and 3 years of snapshot rows; returns (all ids, the manager's ids)."""
    from django.db import transaction

    from kam.analytics.models import SnapshotState, YearSummary
    from kam.analytics.snapshot_extra import snapshot_statistics_update
    from kam.ledger.selectors import ledger_store
    from kam.people.services import user_create

    rnd = random.Random(seed)
    user_create(username="director", password=PASSWORD, role="director")
    manager = user_create(username="manager", password=PASSWORD, role="kam")
    ids = [f"CL{i:06d}" for i in range(clients)]
    now = dt.datetime.now(tz=dt.UTC).isoformat()
    with transaction.atomic():
        _insert(
            "INSERT INTO clients_client (external_id, name, country, is_key_account, tier, "
            "manager_id, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                (
                    c,
                    f"Client {i:06d} SRL",
                    COUNTRIES[i % 6],
                    i % 50 == 0,
                    "1" if i % 50 == 0 else "",
                    manager.pk if i % 500 == 0 else None,
                    now,
                    now,
                )
                for i, c in enumerate(ids)
            ),
        )
        for year in YEARS:
            _year(year, clients, rnd)
            YearSummary.objects.create(
                year=year,
                unattributed_lines=0,
                unattributed_micros=0,
                clients=clients,
                top20_share=0.6,
                gini=0.7,
                hhi=50,
            )
        _audit(clients)
        # The snapshot stands for the (empty) ledger: `kam serve` must not rebuild it.
        SnapshotState.objects.update_or_create(
            pk=1, defaults={"ledger_url": ledger_store().url, "ledger_import_id": 0}
        )
    snapshot_statistics_update()  # as every snapshot refresh does
    mine = [c for i, c in enumerate(ids) if i % 500 == 0]
    return ids, mine


def _year(year: int, clients: int, rnd: random.Random) -> None:
    from kam.analytics.models import RecentInvoice, categories_to_json, recent_invoices_to_json

    order = list(range(1, clients + 1))
    rnd.shuffle(order)  # which client holds which Pareto rank this year
    revenue = _revenues(clients, rnd)
    total, running, classes = sum(revenue), 0, []
    for value in revenue:
        classes.append("A" if running < total * 0.8 else ("B" if running < total * 0.95 else "C"))
        running += value
    _insert(
        "INSERT INTO analytics_clientyearmetric (client_id, year, revenue_micros, "
        "costed_revenue_micros, cost_micros, lines, invoices, categories, last_invoiced_on, "
        "priced_revenue_micros, reference_micros) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            (
                pk,
                year,
                revenue[r - 1],
                revenue[r - 1],
                revenue[r - 1] * 3 // 4,
                40,
                8,
                4,
                dt.date(year, 12, 1 + pk % 28),
                revenue[r - 1],
                revenue[r - 1] * 21 // 20,
            )
            for pk, r in zip(range(1, clients + 1), order, strict=True)
        ),
    )
    _insert(
        "INSERT INTO analytics_clientyearrank (client_id, year, pareto_rank, abc_class, "
        "recency_days, frequency, monetary_micros, r_score, f_score, m_score) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            (
                pk,
                year,
                r,
                classes[r - 1],
                1 + pk % 300,
                8,
                revenue[r - 1],
                1 + pk % 5,
                1 + r % 5,
                5 - 5 * (r - 1) // clients,
            )
            for pk, r in zip(range(1, clients + 1), order, strict=True)
        ),
    )
    _insert(
        "INSERT INTO analytics_clientyearcategories (client_id, year, totals) VALUES (%s, %s, %s)",
        (
            (
                pk,
                year,
                categories_to_json(
                    {CATEGORIES[(pk + k) % len(CATEGORIES)]: (1000 * MICROS, 10) for k in range(4)}
                ),
            )
            for pk in range(1, clients + 1)
        ),
    )
    if year == YEARS[-1]:
        _insert(
            "INSERT INTO analytics_clientrecentinvoices (client_id, oldest_on, newest_on, "
            "invoices) VALUES (%s, %s, %s, %s)",
            (
                (
                    pk,
                    dt.date(year, 12, 1),
                    dt.date(year, 12, 10),
                    recent_invoices_to_json(
                        RecentInvoice(f"F{pk}-{k}", dt.date(year, 12, 1 + k), 5, 250 * MICROS)
                        for k in range(10)
                    ),
                )
                for pk in range(1, clients + 1)
            ),
        )


def _audit(clients: int) -> None:
    now = dt.datetime.now(tz=dt.UTC).isoformat()
    _insert(
        "INSERT INTO audit_auditevent (at, actor_label, interface, action, entity, entity_id, "
        "client_id, field, old_value, new_value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            (now, "director", "web", "update", "clients.Client", str(pk), pk, "name", "a", "b")
            for pk in range(1, clients + 1)
            for _ in range(2)
        ),
    )


def prepare(clients: int, seed: int) -> tuple[list[str], list[str]]:
    """Build the snapshot, or reuse the one a kept KAM_HOME holds."""
    from kam.clients.models import Client

    if Client.objects.exists():
        ids = list(Client.objects.order_by("pk").values_list("external_id", flat=True))
        mine = list(
            Client.objects.filter(manager__username="manager").values_list("external_id", flat=True)
        )
        print(f"reusing the snapshot of {len(ids):,} clients")
        return ids, mine
    started = time.monotonic()
    built = build_snapshot(clients, seed)
    print(
        f"snapshot of {clients:,} clients x {len(YEARS)} years built in "
        f"{time.monotonic() - started:.1f} s"
    )
    return built


def _check_snapshot_kept(clients: int) -> None:
    """Stop if the server replaced the synthetic snapshot: the timings would be of empty pages."""
    from kam.analytics.models import ClientYearMetric

    kept = ClientYearMetric.objects.filter(year=YEARS[-1]).count()
    if kept != clients:
        raise SystemExit(f"the server rebuilt the snapshot ({kept:,} of {clients:,} clients left)")


def count_queries(pages: Sequence[str], username: str) -> dict[str, int]:
    """SQL queries per page, in-process through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    assert client.login(username=username, password=PASSWORD)
    counts = {}
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200, page
        counts[page] = len(queries)
    return counts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(home: Path, port: int) -> Iterator[str]:
    env = {**os.environ, "KAM_HOME": str(home)}
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(
        [KAM, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("kam serve did not start; see serve.log") from None
                time.sleep(0.3)
        started = time.monotonic()
        while json.loads(urllib.request.urlopen(f"{base}/health/", timeout=2).read())["warming"]:
            if time.monotonic() - started > 300:
                raise SystemExit("kam serve is still preparing its pages after 5 minutes")
            time.sleep(0.2)
        print(f"pages prepared (dashboard, scores) in {time.monotonic() - started:.1f} s")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def signed_in(base: str, username: str) -> Callable[[str], bytes]:
    """A fetch function that carries a signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, "no CSRF token on the sign-in page"
    body = urllib.parse.urlencode(
        {
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
            "next": "/health/",  # not the dashboard: its first view is measured below
        }
    ).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=body, headers={"Referer": base}))

    def fetch(page: str) -> bytes:
        with opener.open(f"{base}{page}") as response:
            if response.status != 200 or "/login/" in response.url:
                raise SystemExit(f"{page}: HTTP {response.status} at {response.url}")
            return bytes(response.read())

    return fetch


def measure(
    fetch: Callable[[str], bytes], pages: Sequence[str], requests: int, budget: float
) -> tuple[list[float], float]:
    """Round-robin over `pages` after one warm-up each: `requests` requests or `budget` seconds.

    Also returns the time of the first warm-up request.
    """
    first = 0.0
    for page in pages:
        started = time.perf_counter()
        fetch(page)
        first = first or time.perf_counter() - started
    samples: list[float] = []
    deadline = time.monotonic() + budget
    for i in range(requests):
        if samples and time.monotonic() > deadline:
            break
        started = time.perf_counter()
        fetch(pages[i % len(pages)])
        samples.append(time.perf_counter() - started)
    return samples, first


def page_sets(ids: list[str], mine: list[str], rnd: random.Random) -> dict[str, list[str]]:
    return {
        "dashboard": ["/"],
        "clients list (default)": ["/clients/"],
        "clients list (filters, sorts)": [
            "/clients/?sort=name",
            "/clients/?abc=A&sort=class",
            "/clients/?abc=C&page=3",
            "/clients/?country=MD&key=yes",
            "/clients/?q=client+0012",
            "/clients/?year=2023&sort=country&page=40",
            "/clients/?sort=-revenue&page=20",
        ],
        "clients list (deep pages)": [
            "/clients/?sort=-name&page=700",
            "/clients/?sort=revenue&page=1500",
        ],
        "client page": [f"/clients/{c}/" for c in rnd.sample(ids, 50)],
        "clients list (manager)": ["/clients/", "/clients/?sort=name&abc=B"],
        "client page (manager)": [f"/clients/{c}/" for c in mine[:50]],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind")
    parser.add_argument("--budget", type=float, default=60, help="seconds at most per page kind")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="build in (or reuse) this KAM_HOME and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kam-pages-") as folder:
        home = args.keep or Path(folder)
        os.environ["KAM_HOME"] = str(home)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        ids, mine = prepare(args.clients, args.seed)
        sets = page_sets(ids, mine, random.Random(args.seed))
        timings = []
        with served(home, free_port()) as base:
            _check_snapshot_kept(len(ids))
            users = {"director": signed_in(base, "director"), "manager": signed_in(base, "manager")}
            for name, pages in sets.items():
                who = "manager" if "manager" in name else "director"
                queries = max(count_queries(pages, who).values())
                samples, first = measure(users[who], pages, args.requests, args.budget)
                timings.append(Timing(name, who, samples, queries, first))
    header = ("page", "user", "n", "p50 ms", "p95 ms", "max ms", "first ms", "queries")
    print(f"{header[0]:<34} {header[1]:<9} " + " ".join(f"{h:>8}" for h in header[2:]))
    for timing in timings:
        print(timing.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
