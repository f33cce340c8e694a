"""The snapshot after an import, refreshed by the incremental path (`snapshot_touched`).

Every test compares what the incremental refresh leaves with what a rebuild from
an empty snapshot computes from the same ledger, and some with figures computed
here from the lines the files hold (the recent invoices), so that a row the
refresh forgot, kept stale or wrote twice shows. The ledger is only reached
through the import and the public refresh: the tests run on any ledger store.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kam.analytics.engine_extra import RECENT_INVOICES
from kam.analytics.models import (
    ClientRecentInvoices,
    ClientYearCategories,
    ClientYearMetric,
    ClientYearRank,
    SnapshotState,
    YearSummary,
    to_micros,
)
from kam.analytics.services import snapshot_refresh
from kam.clients.models import Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "invoice,date,client,client_name,product,category,quantity,unit_price,list_price,cost\n"


@dataclass(frozen=True)
class Line:
    day: dt.date
    client: str | None  # None: the line has no client (an empty cell)
    product: str
    category: str  # "" : an empty cell
    quantity: Decimal
    price: Decimal
    list_price: Decimal | None = None
    cost: Decimal | None = None

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.price


Invoices = dict[str, list[Line]]


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _csv(invoices: Invoices) -> str:
    rows = [HEADER]
    for invoice, lines in invoices.items():
        for line in lines:
            client = line.client or ""
            listed = "" if line.list_price is None else _number(line.list_price)
            cost = "" if line.cost is None else _number(line.cost)
            rows.append(
                f"{invoice},{line.day.isoformat()},{client},{client and 'Name ' + client},"
                f"{line.product},{line.category},{_number(line.quantity)},"
                f"{_number(line.price)},{listed},{cost}\n"
            )
    return "".join(rows)


class Ledger:
    """The test's own copy of the ledger: an import replaces its invoices whole."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store, self.folder = store, folder
        self.invoices: Invoices = {}
        self.files = 0

    def load(self, invoices: Invoices) -> None:
        self.files += 1
        path = self.folder / f"file{self.files}.csv"
        path.write_text(_csv(invoices), encoding="utf-8")
        report = ledger_import(store=self.store, paths=[path])
        assert report.ok, report.problems
        self.invoices.update({invoice: list(lines) for invoice, lines in invoices.items()})

    def by_client(self) -> dict[str, dict[str, list[Line]]]:
        """Client → invoice → the client's lines of it."""
        out: dict[str, dict[str, list[Line]]] = defaultdict(lambda: defaultdict(list))
        for invoice, lines in self.invoices.items():
            for line in lines:
                if line.client is not None:
                    out[line.client][invoice].append(line)
        return out

    def recent(self) -> dict[str, list[tuple[str, dt.date, int, int]]]:
        """Each client's newest invoices as the snapshot must list them."""
        out = {}
        for client, invoices in self.by_client().items():
            rows = [
                (max(ln.day for ln in lines), invoice, len(lines), to_micros(_sum(lines)))
                for invoice, lines in invoices.items()
            ]
            rows.sort(reverse=True)
            out[client] = [(i, d, n, a) for d, i, n, a in rows[:RECENT_INVOICES]]
        return out

    def metrics(self) -> list[tuple[Any, ...]]:
        """Each client's year as the snapshot must hold it, but for prices (the engine's
        market prices are rounded as the ledger rounds them)."""
        years: dict[tuple[str, int], list[tuple[str, Line]]] = defaultdict(list)
        for invoice, lines in self.invoices.items():
            for line in lines:
                if line.client is not None:
                    years[(line.client, line.day.year)].append((invoice, line))
        return sorted(
            (
                client,
                year,
                to_micros(_sum([ln for _, ln in rows])),
                to_micros(_sum([ln for _, ln in rows if ln.cost is not None])),
                to_micros(sum((ln.cost for _, ln in rows if ln.cost is not None), Decimal(0))),
                len(rows),
                len({invoice for invoice, _ in rows}),
                len({ln.category for _, ln in rows if ln.category}),
                max(ln.day for _, ln in rows),
            )
            for (client, year), rows in years.items()
        )

    def unattributed(self) -> dict[int, tuple[int, int]]:
        """Year → lines without a client and their amount (micros), where there are any."""
        years: dict[int, list[Line]] = defaultdict(list)
        for lines in self.invoices.values():
            for line in lines:
                if line.client is None:
                    years[line.day.year].append(line)
        return {year: (len(lines), to_micros(_sum(lines))) for year, lines in years.items()}


def _sum(lines: list[Line]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))


def _revenues(invoices: Invoices) -> dict[tuple[str, int], Decimal]:
    """(client, year) → net revenue."""
    out: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for lines in invoices.values():
        for line in lines:
            if line.client is not None:
                out[(line.client, line.day.year)] += line.amount
    return out


# --- the snapshot tables, compared whole --------------------------------------------


def _tables() -> dict[str, Any]:
    metrics = sorted(
        ClientYearMetric.objects.values_list(
            "client__external_id",
            "year",
            "revenue_micros",
            "costed_revenue_micros",
            "cost_micros",
            "lines",
            "invoices",
            "categories",
            "last_invoiced_on",
            "priced_revenue_micros",
            "reference_micros",
        )
    )
    ranks = sorted(
        ClientYearRank.objects.values_list(
            "year",
            "pareto_rank",
            "client__external_id",
            "abc_class",
            "recency_days",
            "frequency",
            "monetary_micros",
            "r_score",
            "f_score",
            "m_score",
        )
    )
    categories = []
    for client, year, totals in ClientYearCategories.objects.values_list(
        "client__external_id", "year", "totals"
    ):
        flat = json.loads(totals)
        triples = [tuple(flat[i : i + 3]) for i in range(0, len(flat), 3)]
        assert len({t[0] for t in triples}) == len(triples), (client, year, totals)
        categories.append((client, year, sorted(triples)))
    recent = {}
    for row in ClientRecentInvoices.objects.select_related("client"):
        listed = row.listed()
        assert (row.oldest_on, row.newest_on) == (listed[-1].invoiced_on, listed[0].invoiced_on)
        recent[row.client.external_id] = (row.invoices, row.oldest_on, row.newest_on)
    summaries = sorted(
        YearSummary.objects.values_list(
            "year",
            "unattributed_lines",
            "unattributed_micros",
            "clients",
            "top20_share",
            "gini",
            "hhi",
        )
    )
    return {
        "metrics": metrics,
        "ranks": ranks,
        "categories": sorted(categories),
        "recent": recent,
        "summaries": summaries,
    }


def _listed() -> dict[str, list[tuple[str, dt.date, int, int]]]:
    return {
        row.client.external_id: [
            (r.invoice, r.invoiced_on, r.lines, r.amount_micros) for r in row.listed()
        ]
        for row in ClientRecentInvoices.objects.select_related("client")
    }


def _rebuilt(store: Store) -> dict[str, Any]:
    """The tables a full refresh computes from an empty snapshot (no row left behind)."""
    for model in (
        ClientYearRank,
        ClientYearCategories,
        ClientRecentInvoices,
        ClientYearMetric,
        YearSummary,
    ):
        model.objects.all().delete()
    snapshot_refresh(store=store)
    return _tables()


def _assert_same(incremental: dict[str, Any], rebuilt: dict[str, Any], step: object) -> None:
    for table in rebuilt:  # one table at a time: the first difference reads better
        assert incremental[table] == rebuilt[table], (step, table)


# --- 1. random import sequences ------------------------------------------------------

PRODUCTS = {
    "P1": "Tools",  # P1 and P2 never have a list price: their reference is the market's
    "P2": "Paint",
    "P3": "Paint",
    "P4": "Garden",
    "P5": "",
    "P6": "Tools",
}
NO_LIST_PRICE = {"P1", "P2"}
CENT = Decimal("0.01")
QUANTITIES = [Decimal(q) for q in ("1", "1", "2", "3", "5", "1.5", "-1", "-2")]


class Generator:
    """Files of a random import sequence, from a seed, against the test's ledger copy.

    Each year of the ledger holds an "anchor" invoice without a client that no file
    re-exports, so the ledger's years stay one run (a year emptied at either end,
    or a gap, is a separate test).
    """

    def __init__(self, seed: int, ledger: Ledger) -> None:
        self.rng = random.Random(seed)
        self.ledger = ledger
        self.next_invoice = 1
        self.next_client = 1
        self.first_year, self.last_year = 2020, 2023
        self.clients = [f"C{i:02d}" for i in range(1, 31)]
        self.weights = [self.rng.choice((1, 2, 3, 6, 10)) for _ in self.clients]

    # - building blocks

    def invoice_number(self) -> str:
        self.next_invoice += 1
        return f"I{self.next_invoice:05d}"

    def day(self, first: int | None = None, last: int | None = None) -> dt.date:
        start = dt.date(first or self.first_year, 1, 1)
        end = dt.date(last or self.last_year, 12, 31)
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def client(self) -> str:
        if self.rng.random() < 0.08:
            self.next_client += 1
            new = f"N{self.next_client:02d}"
            self.clients.append(new)
            self.weights.append(3)
            return new
        return self.rng.choices(self.clients, self.weights)[0]

    def line(self, day: dt.date, client: str | None) -> Line:
        rng = self.rng
        product = rng.choice(sorted(PRODUCTS))
        category = PRODUCTS[product] if rng.random() < 0.9 else rng.choice(["Tools", ""])
        price = Decimal(rng.randrange(0 if rng.random() < 0.03 else 100, 5000)) / 100
        listed = None
        if product not in NO_LIST_PRICE and rng.random() < 0.5:
            listed = (price * Decimal(rng.choice(("1", "1.1", "1.25")))).quantize(CENT)
        quantity = rng.choice(QUANTITIES)
        cost = None
        if rng.random() < 0.6:
            cost = (quantity * price * Decimal(rng.choice(("0.6", "0.8", "1.1")))).quantize(CENT)
        return Line(day, client, product, category, quantity, price, listed, cost)

    def lines(self, day: dt.date, client: str | None) -> list[Line]:
        rng = self.rng
        out = [self.line(day, client) for _ in range(rng.choice((1, 1, 2, 3, 4)))]
        if rng.random() < 0.12:  # a line of another date, maybe of another year
            later = day + dt.timedelta(days=rng.choice((3, 40, 200, 400)))
            later = min(later, dt.date(self.last_year, 12, 31))  # within the ledger's years
            out.append(self.line(later, client))
        if rng.random() < 0.06:  # a line without a client
            out.append(self.line(day, None))
        if rng.random() < 0.05:  # a line of another client
            out.append(self.line(day, self.client()))
        return out

    def anchor(self, year: int) -> Invoices:
        day = dt.date(year, 6, 15)
        return {f"A{year}": [Line(day, None, "P5", "", Decimal(1), Decimal(1))]}

    def movable(self) -> list[str]:
        return sorted(i for i in self.ledger.invoices if not i.startswith("A"))

    # - files

    def first(self) -> Invoices:
        invoices: Invoices = {}
        for year in range(self.first_year, self.last_year + 1):
            invoices.update(self.anchor(year))
        for _ in range(240):
            invoices[self.invoice_number()] = self.lines(self.day(), self.client())
        return invoices

    def follow_up(self) -> Invoices:
        rng = self.rng
        file: Invoices = {}
        if rng.random() < 0.5:  # a new year after the last one
            self.last_year += 1
            file.update(self.anchor(self.last_year))
        if rng.random() < 0.4:  # a new year before the first one
            self.first_year -= 1
            file.update(self.anchor(self.first_year))
        self.reexport(file)
        self.client_leaves(file)
        self.newest_move(file)
        for _ in range(rng.randrange(3, 9)):  # new invoices, in old and new years too
            year = rng.choice((self.first_year, self.last_year, None))
            day = self.day(year, year) if year else self.day()
            file[self.invoice_number()] = self.lines(day, self.client())
        self.tie(file)
        return file

    def reexport(self, file: Invoices) -> None:
        """Existing invoices again, with other lines, clients or dates."""
        rng = self.rng
        for invoice in rng.sample(self.movable(), rng.randrange(2, 8)):
            lines = self.ledger.invoices[invoice]
            how = rng.choice(("lines", "client", "old", "date", "unattributed", "two"))
            if how == "lines":
                new = self.lines(lines[0].day, lines[0].client)
            elif how == "client":
                other = self.client()
                new = [replace(ln, client=other) for ln in lines]
            elif how == "old":
                day = self.day(self.first_year, self.first_year + 1)
                new = [replace(ln, day=day) for ln in lines]
            elif how == "date":
                day = self.day()
                new = [replace(ln, day=day) for ln in lines]
            elif how == "unattributed":
                new = [replace(ln, client=None) for ln in lines]
            else:  # its lines shared between two clients, or spread over two dates
                other = self.client()
                new = [
                    replace(ln, client=other) if i % 2 else replace(ln, day=self.day())
                    for i, ln in enumerate([*lines, self.line(lines[0].day, lines[0].client)])
                ]
            file[invoice] = new

    def client_leaves(self, file: Invoices) -> None:
        """A client with few invoices loses every line: its invoices go to others."""
        by_client = self.ledger.by_client()
        small = sorted(c for c, invoices in by_client.items() if len(invoices) <= 6)
        if not small or self.rng.random() < 0.3:
            return
        leaving = self.rng.choice(small)
        for invoice in by_client[leaving]:
            lines = file.get(invoice, self.ledger.invoices[invoice])
            heir = self.rng.choice([None, *(c for c in self.clients if c != leaving)])
            file[invoice] = [
                replace(ln, client=heir) if ln.client == leaving else ln for ln in lines
            ]

    def newest_move(self, file: Invoices) -> None:
        """A client with a full list loses its newest invoices (to another client or to
        an old date): older invoices than it listed come back into its list."""
        by_client = self.ledger.by_client()
        full = sorted(c for c, inv in by_client.items() if len(inv) > RECENT_INVOICES)
        for client in self.rng.sample(full, min(2, len(full))):
            newest = sorted(
                by_client[client], key=lambda i: (max(ln.day for ln in by_client[client][i]), i)
            )[-self.rng.randrange(1, 4) :]
            old = self.rng.random() < 0.3
            other = self.client()
            for invoice in newest:
                if invoice.startswith("A"):
                    continue
                lines = file.get(invoice, self.ledger.invoices[invoice])
                if old:
                    day = self.day(self.first_year, self.first_year)
                    file[invoice] = [replace(ln, day=day) for ln in lines]
                else:
                    file[invoice] = [
                        replace(ln, client=other) if ln.client == client else ln for ln in lines
                    ]

    def tie(self, file: Invoices) -> None:
        """A client's year made to tie, in revenue, with an untouched client's year."""
        touched = {
            ln.client
            for invoice in file
            for ln in [*file[invoice], *self.ledger.invoices.get(invoice, [])]
            if ln.client is not None
        }
        revenues = _revenues({**self.ledger.invoices, **file})
        years = sorted({day.year for lines in file.values() for day in (ln.day for ln in lines)})
        for year in self.rng.sample(years, min(2, len(years))):
            untouched = sorted(
                (r, c) for (c, y), r in revenues.items() if y == year and r > 0 and c not in touched
            )
            if not untouched:
                continue
            target, _ = self.rng.choice(untouched)
            candidates = [
                c for c in sorted(touched) if revenues.get((c, year), Decimal(0)) < target
            ]
            client = self.rng.choice(candidates) if candidates else self.client()
            gap = target - revenues.get((client, year), Decimal(0))
            if gap <= 0:
                continue
            day = self.day(year, year)
            file[self.invoice_number()] = [Line(day, client, "P6", "Tools", Decimal(1), gap)]
            revenues[(client, year)] = target
            touched.add(client)


SEEDS = (1, 2, 3, 4)
FOLLOW_UPS = 4


@pytest.mark.parametrize("seed", SEEDS)
def test_after_each_random_import_the_tables_equal_a_rebuild(
    store: Store, tmp_path: Path, incremental_calls: list[int], seed: int
) -> None:
    ledger = Ledger(store, tmp_path)
    generator = Generator(seed, ledger)
    ledger.load(generator.first())
    assert incremental_calls == []  # the first import builds the snapshot whole
    for step in range(1, FOLLOW_UPS + 1):
        ledger.load(generator.follow_up())
        assert len(incremental_calls) == step  # ... and each import after it follows it
        incremental = _tables()
        assert _listed() == ledger.recent(), step
        assert [m[:9] for m in incremental["metrics"]] == ledger.metrics(), step
        unattributed = {y: (n, a) for y, n, a, *_ in incremental["summaries"] if n}
        assert unattributed == ledger.unattributed(), step
        _assert_same(incremental, _rebuilt(store), step)


# --- 2. the incremental path is the one taken -----------------------------------------


def _pks(model: type[ClientYearMetric] | type[ClientYearRank]) -> dict[tuple[str, int], int]:
    rows = model.objects.values_list("client__external_id", "year", "pk")
    return {(client, year): pk for client, year, pk in rows}


def _rows() -> dict[str, dict[tuple[str, int], tuple[Any, ...]]]:
    """Metric and rank rows by (client, year), without their keys."""
    metrics = ClientYearMetric.objects.values_list(
        "client__external_id", "year", "revenue_micros", "priced_revenue_micros", "reference_micros"
    )
    ranks = ClientYearRank.objects.values_list(
        "client__external_id", "year", "pareto_rank", "abc_class", "r_score", "f_score", "m_score"
    )
    return {
        "metrics": {(c, y): tuple(rest) for c, y, *rest in metrics},
        "ranks": {(c, y): tuple(rest) for c, y, *rest in ranks},
    }


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _small_ledger() -> Invoices:
    """Eight clients over 2023 and 2024, a product bought by several without list price."""
    invoices: Invoices = {}
    for i in range(1, 9):
        client = f"C{i}"
        for j, year in enumerate((2023, 2024, 2024)):
            price = Decimal(10 * i + j)
            invoices[f"F{i}{j}"] = [
                Line(dt.date(year, i, 10 + j), client, "P1", "Tools", Decimal(2), price),
                Line(dt.date(year, i, 10 + j), client, "P2", "Paint", Decimal(1), price, price),
            ]
    return invoices


def test_an_import_rewrites_only_the_touched_clients_rows(
    store: Store, tmp_path: Path, incremental_calls: list[int]
) -> None:
    ledger = Ledger(store, tmp_path)
    ledger.load(_small_ledger())
    metrics, ranks = _pks(ClientYearMetric), _pks(ClientYearRank)
    before = _rows()
    # C2 buys a lot more of P1 in 2024: the ranks of 2024 and P1's market price move
    ledger.load({"G1": [Line(_day("2024-11-01"), "C2", "P1", "Tools", Decimal(10), Decimal(99))]})
    assert len(incremental_calls) == 1
    after = _rows()
    untouched = [key for key in metrics if key[0] != "C2"]
    # The untouched clients' rows of 2024 changed (ranks; prices at P1's new market
    # price), in place: each keeps its primary key, where a rebuild inserts anew.
    for table in ("metrics", "ranks"):
        moved = [k for k in untouched if k[1] == 2024 and before[table][k] != after[table][k]]
        assert len(moved) >= 3, table
    assert {k: _pks(ClientYearMetric)[k] for k in untouched} == {k: metrics[k] for k in untouched}
    assert {k: _pks(ClientYearRank)[k] for k in untouched} == {k: ranks[k] for k in untouched}
    assert _pks(ClientYearMetric)[("C2", 2024)] != metrics[("C2", 2024)]  # written anew
    _assert_same(_tables(), _rebuilt(store), "after the import")


@pytest.mark.parametrize("lag", ["import", "ledger"])
def test_a_lagging_snapshot_is_rebuilt_whole(
    store: Store, tmp_path: Path, incremental_calls: list[int], lag: str
) -> None:
    ledger = Ledger(store, tmp_path)
    ledger.load(_small_ledger())
    ledger.load({"G1": [Line(_day("2024-11-01"), "C2", "P1", "Tools", Decimal(3), Decimal(9))]})
    assert len(incremental_calls) == 1
    metrics = _pks(ClientYearMetric)
    state = SnapshotState.objects.get(pk=1)
    if lag == "import":  # the snapshot missed the import before the next one
        state.ledger_import_id -= 1
    else:  # the snapshot is another ledger's
        state.ledger_url = "duckdb:///elsewhere.duckdb"
    state.save()
    ledger.load({"G2": [Line(_day("2023-05-01"), "C3", "P1", "Tools", Decimal(4), Decimal(7))]})
    assert len(incremental_calls) == 1  # not taken
    assert set(_pks(ClientYearMetric).values()).isdisjoint(metrics.values())  # all written anew
    state.refresh_from_db()
    assert (state.ledger_url, state.ledger_import_id) == (store.url, 3)
    _assert_same(_tables(), _rebuilt(store), "lagging")


def test_clients_tied_in_revenue_rank_by_client_id(
    store: Store, tmp_path: Path, incremental_calls: list[int]
) -> None:
    one = Decimal(1)
    for client in ("C9", "C5", "C2", "C1"):  # ids in the other order than the clients'
        Client.objects.create(external_id=client, name=client)
    ledger = Ledger(store, tmp_path)
    ledger.load(
        {
            f"T{c}": [Line(_day("2024-03-01"), c, "P1", "Tools", one, Decimal(amount))]
            for c, amount in (("C5", 100), ("C2", 40), ("C9", 70), ("C1", 300))
        }
    )
    # C2 and C9 (touched) come to C5's 100 (untouched): the order among them is by id
    ledger.load(
        {
            "U2": [Line(_day("2024-04-01"), "C2", "P2", "", one, Decimal(60))],
            "U9": [Line(_day("2024-04-01"), "C9", "P2", "", one, Decimal(30))],
        }
    )
    assert len(incremental_calls) == 1
    order = ClientYearRank.objects.filter(year=2024).order_by("pareto_rank")
    assert list(order.values_list("client__external_id", flat=True)) == ["C1", "C2", "C5", "C9"]
    _assert_same(_tables(), _rebuilt(store), "ties")


# --- 3. a client's list after the import took its newest invoices away --------------


OLDER = {  # the dates of A's three oldest invoices
    "same-day": ["2023-01-04"] * 3,  # as its oldest listed one: ranked by number on that day
    "same-month": ["2023-01-01", "2023-01-02", "2023-01-03"],
    "years-before": ["2019-01-01", "2019-01-02", "2019-01-03"],
}


@pytest.mark.parametrize("older", sorted(OLDER))
def test_a_client_losing_its_newest_invoices_lists_older_ones_again(
    store: Store, tmp_path: Path, incremental_calls: list[int], older: str
) -> None:
    one = Decimal(1)

    def sale(day: str, client: str, price: int = 10) -> list[Line]:
        return [Line(_day(day), client, "P1", "Tools", one, Decimal(price))]

    # A: 13 invoices, the ten newest on distinct days
    first: Invoices = {f"A{i:02d}": sale(day, "A", i) for i, day in enumerate(OLDER[older], 1)}
    first |= {f"A{i:02d}": sale(f"2023-01-{i:02d}", "A", i) for i in range(4, 14)}
    first |= {"B1": sale("2024-03-01", "B"), "B2": sale("2024-04-01", "B")}
    first |= {"D1": sale("2019-05-05", "D", 7), "D2": sale("2024-01-01", "D")}
    ledger = Ledger(store, tmp_path)
    ledger.load(first)
    assert [i for i, *_ in _listed()["A"]] == [f"A{i:02d}" for i in range(13, 3, -1)]
    # A's three newest go to E; B (two invoices) receives D's invoice of 2019
    moved = {f"A{i}": sale(f"2023-01-{i}", "E", i) for i in (11, 12, 13)}
    ledger.load(moved | {"D1": sale("2019-05-05", "B", 7)})
    assert len(incremental_calls) == 1
    listed = _listed()
    assert [i for i, *_ in listed["A"]] == [f"A{i:02d}" for i in range(10, 0, -1)]
    assert listed["A"][-1] == ("A01", _day(OLDER[older][0]), 1, to_micros(one))
    assert [i for i, *_ in listed["B"]] == ["B2", "B1", "D1"]
    assert [i for i, *_ in listed["D"]] == ["D2"]
    assert [i for i, *_ in listed["E"]] == ["A13", "A12", "A11"]
    assert listed == ledger.recent()
    _assert_same(_tables(), _rebuilt(store), "moved away")
    # A (a full list) receives an invoice older than all of its own: not listed
    ledger.load({"A11": sale("2018-12-31", "A", 11)})
    assert [i for i, *_ in _listed()["A"]] == [f"A{i:02d}" for i in range(10, 0, -1)]
    assert _listed() == ledger.recent()
    _assert_same(_tables(), _rebuilt(store), "old one in")


def test_a_client_whose_listed_invoices_all_went_elsewhere_lists_its_older_ones(
    store: Store, tmp_path: Path, incremental_calls: list[int]
) -> None:
    """The import moves every invoice of A's full list to A2 (an ERP id change) and
    brings no line of A's: the bounded read finds nothing of A, which keeps a list of
    what it has left, read whole."""
    one = Decimal(1)

    def sale(day: str, client: str, price: int) -> list[Line]:
        return [Line(_day(day), client, "P1", "Tools", one, Decimal(price))]

    first: Invoices = {"A00": sale("2023-01-01", "A", 10)}
    first |= {f"A{i:02d}": sale(f"2023-02-{i:02d}", "A", i) for i in range(1, 11)}
    ledger = Ledger(store, tmp_path)
    ledger.load(first)
    assert [i for i, *_ in _listed()["A"]] == [f"A{i:02d}" for i in range(10, 0, -1)]
    ledger.load({f"A{i:02d}": sale(f"2023-02-{i:02d}", "A2", i) for i in range(1, 11)})
    assert len(incremental_calls) == 1
    assert _listed()["A"] == [("A00", _day("2023-01-01"), 1, to_micros(Decimal(10)))]
    assert _listed() == ledger.recent()
    _assert_same(_tables(), _rebuilt(store), "id change")


# --- 4. an invoice whose lines straddle the client's listed dates ---------------------


@pytest.mark.parametrize("others", [3, 12])
@pytest.mark.parametrize("touch", ["new invoice", "re-export"])
def test_an_invoice_over_two_dates_keeps_all_its_lines_in_the_list(
    store: Store, tmp_path: Path, incremental_calls: list[int], others: int, touch: str
) -> None:
    one = Decimal(1)
    first: Invoices = {
        "D1": [
            Line(_day("2023-01-05"), "D", "P1", "Tools", Decimal(2), Decimal(5)),
            Line(_day("2024-06-01"), "D", "P2", "Paint", one, Decimal(7)),
            Line(_day("2024-06-01"), None, "P2", "Paint", one, Decimal(100)),  # no client
        ]
    }
    for k in range(others):  # monthly from February 2023
        day = dt.date(2023 + (1 + k) // 12, (1 + k) % 12 + 1, 1)
        first[f"D{k + 10}"] = [Line(day, "D", "P1", "Tools", one, Decimal(k + 1))]
    first["X1"] = [Line(_day("2024-02-02"), "X", "P1", "Tools", one, Decimal(3))]
    ledger = Ledger(store, tmp_path)
    ledger.load(first)
    (row,) = ClientRecentInvoices.objects.filter(client__external_id="D")
    assert _day("2023-01-05") < row.oldest_on < _day("2024-06-01")  # the bound lies between
    if touch == "new invoice":
        ledger.load({"DN": [Line(_day("2025-01-10"), "D", "P1", "Tools", one, Decimal(1))]})
    else:  # the client's oldest invoice again, unchanged: the list stays as it is
        ledger.load({"D10": first["D10"]})
    assert len(incremental_calls) == 1
    listed = {i: (d, n, a) for i, d, n, a in _listed()["D"]}
    assert listed["D1"] == (_day("2024-06-01"), 2, to_micros(Decimal(17)))
    assert _listed() == ledger.recent()
    _assert_same(_tables(), _rebuilt(store), touch)


# --- imports without clients, and the snapshot's years -------------------------------


def _three_years() -> Invoices:
    one = Decimal(1)
    return {
        "F1": [Line(_day("2021-03-01"), "C1", "P1", "Tools", one, Decimal(10))],
        "F2": [Line(_day("2022-03-01"), "C2", "P1", "Tools", one, Decimal(20))],
        "F3": [Line(_day("2023-03-01"), "C1", "P1", "Tools", one, Decimal(30))],
        "F4": [Line(_day("2023-04-01"), "C3", "P1", "Tools", one, Decimal(5))],
    }


def test_an_import_of_lines_without_a_client_touches_no_client(
    store: Store, tmp_path: Path, incremental_calls: list[int]
) -> None:
    ledger = Ledger(store, tmp_path)
    ledger.load(_three_years())
    one = Decimal(1)
    ledger.load(
        {
            "U1": [Line(_day("2022-05-01"), None, "P1", "", one, Decimal(50))],
            "U2": [Line(_day("2024-01-02"), None, "P1", "", Decimal(-1), Decimal(3))],
        }
    )
    assert len(incremental_calls) == 1
    assert [s[:3] for s in _tables()["summaries"]] == [
        (2021, 0, 0),
        (2022, 1, to_micros(Decimal(50))),
        (2023, 0, 0),
        (2024, 1, to_micros(Decimal(-3))),
    ]
    _assert_same(_tables(), _rebuilt(store), "no client")


@pytest.mark.parametrize(
    ("invoice", "day"),
    [
        pytest.param("F2", "2023-06-01", id="middle-year-emptied"),
        pytest.param("G1", "2024-06-01", id="next-year"),
        pytest.param("G1", "2020-06-01", id="year-before"),
        pytest.param("G1", "2026-06-01", id="gap-after"),
        pytest.param("G1", "2018-06-01", id="gap-before"),
        pytest.param("F1", "2022-06-01", id="first-year-emptied"),
    ],
)
def test_the_years_summarised_equal_a_rebuilds(
    store: Store,
    tmp_path: Path,
    incremental_calls: list[int],
    invoice: str,
    day: str,
) -> None:
    """A year row for every year from the ledger's first to its last, empty years too,
    and none outside them: the incremental path writes the years a rebuild writes."""
    ledger = Ledger(store, tmp_path)
    ledger.load(_three_years())
    ledger.load({invoice: [Line(_day(day), "C4", "P1", "Tools", Decimal(1), Decimal(7))]})
    assert len(incremental_calls) == 1
    _assert_same(_tables(), _rebuilt(store), invoice)
