"""A believable B2B sales ledger, written as a Romanian ERP would export it.

A distributor of building and industrial supplies: clients follow a Zipf law
(a few large buyers, a long tail), each prefers some product categories,
larger clients negotiate deeper discounts, clients grow or shrink year to
year, and about 2 % of invoices are credit notes (returns). The file uses the
habits of a Romanian export: `;` as delimiter, decimal comma, DD.MM.YYYY
dates and Romanian headers, so the demo goes through the same import path
(detection included) as a user's file.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from pathlib import Path

CATEGORIES: dict[str, tuple[tuple[str, int], ...]] = {
    "Adezivi și chituri": (
        ("Adeziv gresie C1", 38),
        ("Adeziv flexibil C2TE", 64),
        ("Chit de rosturi", 29),
        ("Adeziv polistiren", 41),
    ),
    "Izolații": (
        ("Polistiren expandat 10 cm", 118),
        ("Vată minerală 5 cm", 96),
        ("Membrană hidroizolantă", 245),
        ("Spumă poliuretanică", 31),
    ),
    "Scule electrice": (
        ("Rotopercutor SDS", 890),
        ("Polizor unghiular", 420),
        ("Autofiletantă 18V", 760),
        ("Ferăstrău circular", 980),
    ),
    "Feronerie": (
        ("Șuruburi lemn 4x40 (cutie)", 22),
        ("Dibluri 8 mm (cutie)", 18),
        ("Balamale inox", 34),
        ("Ancore chimice", 57),
    ),
    "Vopsele": (
        ("Vopsea lavabilă albă 15 l", 210),
        ("Grund acrilic 10 l", 132),
        ("Email alchidic 2,5 l", 75),
        ("Tencuială decorativă", 168),
    ),
    "Instalații sanitare": (
        ("Țeavă PPR 20 mm", 9),
        ("Robinet sferic 1/2", 27),
        ("Baterie lavoar", 189),
        ("Sifon pardoseală", 46),
    ),
    "Echipamente de protecție": (
        ("Mănuși de lucru (set)", 15),
        ("Cască protecție", 38),
        ("Ochelari protecție", 19),
        ("Bocanci S3", 265),
    ),
    "Materiale electrice": (
        ("Cablu CYY-F 3x2,5 (rolă)", 640),
        ("Priză dublă", 21),
        ("Tablou siguranțe", 148),
        ("Corp LED industrial", 310),
    ),
}
PREFIXES = (
    "Construct",
    "Agro",
    "Euro",
    "Nord",
    "Trans",
    "Carpat",
    "Dunărea",
    "Bega",
    "Mureș",
    "Someș",
    "Delta",
    "Prima",
    "Casa",
    "Terra",
    "Vest",
    "Est",
    "Olt",
    "Arge",
    "Tehno",
    "Meta",
    "Prof",
    "Atlas",
    "Orion",
    "Sigma",
    "Nova",
)
SUFFIXES = (
    "Build",
    "Com",
    "Invest",
    "Instal",
    "Proiect",
    "Design",
    "Grup",
    "Service",
    "Distribuție",
    "Market",
    "Tehnic",
    "Expert",
    "Montaj",
    "Industrial",
)
FORMS = ("SRL", "SRL", "SRL", "SA", "SRL-D")
COUNTRIES = ("România",) * 17 + ("Republica Moldova", "Bulgaria", "Ungaria")
AGENTS = ("Ana Popescu", "Mihai Ionescu", "Elena Dumitru", "Andrei Stan", "Ioana Marin")
HEADERS = (
    "Nr. factură",
    "Data",
    "Cod client",
    "Denumire client",
    "Țară",
    "Cod articol",
    "Denumire articol",
    "Categorie",
    "Cantitate",
    "Preț listă",
    "Preț unitar",
    "Valoare",
    "Cost",
    "Monedă",
    "Agent",
)
CENT = Decimal("0.01")


def _this_year_start() -> dt.date:
    """Three full calendar years before this one, so the latest year is complete."""
    return dt.date.today().replace(month=1, day=1)  # noqa: DTZ011 - a local calendar date


@dataclass(frozen=True, slots=True)
class DemoSpec:
    clients: int = 400
    lines: int = 60_000
    seed: int = 7
    currency: str = "EUR"
    years: int = 3
    end: dt.date = field(default_factory=_this_year_start)  # exclusive


@dataclass(frozen=True, slots=True)
class _Client:
    code: str
    name: str
    country: str
    categories: tuple[str, ...]
    discount: float
    growth: float
    agent: str


def _clients(spec: DemoSpec, rng: random.Random) -> list[_Client]:
    result = []
    names: set[str] = set()
    for i in range(spec.clients):
        name = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)} {rng.choice(FORMS)}"
        while name in names:
            name = f"{rng.choice(PREFIXES)}{rng.choice(SUFFIXES).lower()} {rng.choice(FORMS)}"
            if name in names:
                name = f"{name} {i}"
        names.add(name)
        size = 1 - i / spec.clients  # large clients first: they negotiate harder
        result.append(
            _Client(
                code=f"C{i + 1:05d}",
                name=name,
                country=rng.choice(COUNTRIES),
                categories=tuple(rng.sample(sorted(CATEGORIES), k=rng.randint(2, 7))),
                discount=max(0.0, rng.gauss(0.04 + 0.12 * size, 0.03)),
                growth=rng.gauss(0.05, 0.18),
                agent=AGENTS[i % len(AGENTS)],
            )
        )
    return result


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _text(amount: Decimal) -> str:
    return f"{amount:f}".replace(".", ",")


def _products() -> list[tuple[str, str, str, Decimal, float]]:
    """(code, name, category, list price, cost ratio)."""
    rng = random.Random(11)
    products = []
    for c, (category, items) in enumerate(sorted(CATEGORIES.items())):
        for p, (name, price) in enumerate(items):
            products.append(
                (f"P{c + 1}{p + 1:02d}", name, category, Decimal(price), rng.uniform(0.58, 0.78))
            )
    return products


def demo_rows(spec: DemoSpec) -> list[list[str]]:
    """The export's rows (without the header), deterministic for a seed and end date."""
    rng = random.Random(spec.seed)
    clients = _clients(spec, rng)
    weights = list(accumulate(1 / (rank**1.15) for rank in range(1, len(clients) + 1)))
    products = _products()
    by_category: dict[str, list[tuple[str, str, str, Decimal, float]]] = {}
    for product in products:
        by_category.setdefault(product[2], []).append(product)
    start = spec.end.replace(year=spec.end.year - spec.years)
    days = (spec.end - start).days
    rows: list[list[str]] = []
    number = 100000
    while len(rows) < spec.lines:
        client = rng.choices(clients, cum_weights=weights)[0]
        day = start + dt.timedelta(days=_seasonal_day(rng, days, client.growth))
        number += 1
        credit = rng.random() < 0.02
        for _ in range(min(rng.randint(1, 9), spec.lines - len(rows))):
            code, name, category, list_price, cost_ratio = rng.choice(
                by_category[rng.choice(client.categories)]
            )
            quantity = rng.choice((1, 2, 3, 5, 10, 12, 20, 25, 50, 100)) * (-1 if credit else 1)
            price = _money(float(list_price) * (1 - client.discount) * rng.uniform(0.97, 1.02))
            amount = price * quantity
            cost = _money(float(list_price) * cost_ratio) * quantity
            rows.append(
                [
                    f"FV{number}",
                    day.strftime("%d.%m.%Y"),
                    client.code,
                    client.name,
                    client.country,
                    code,
                    name,
                    category,
                    str(quantity),
                    _text(list_price),
                    _text(price),
                    _text(amount),
                    _text(cost),
                    spec.currency,
                    client.agent,
                ]
            )
    return rows


def _seasonal_day(rng: random.Random, days: int, growth: float) -> int:
    """Later days are likelier for growing clients; spring and autumn are busier."""
    while True:
        day = rng.randrange(days)
        month = (day // 30) % 12
        season = 1.0 + 0.25 * (month in (2, 3, 4, 8, 9))
        trend = (1 + growth) ** (day / 365)
        if rng.random() < season * trend / (1.25 * max(1.0, (1 + growth) ** (days / 365))):
            return day


def write_demo_csv(path: Path, spec: DemoSpec) -> Path:
    """Write the demo export to `path` (UTF-8 with BOM, as Excel-friendly ERPs do)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(demo_rows(spec))
    return path
