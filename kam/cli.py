"""The `kam` command: a thin layer that parses, calls one service and prints."""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description="Key account management.")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import sales ledger files (CSV, TSV, XLSX, Parquet)")
    imp.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="files of one import (.gz too)"
    )
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="read FIELD from the column HEADER (repeatable), e.g. --map client='Cod client'",
    )
    imp.add_argument("--mapping", metavar="NAME", help="use a saved column mapping")
    imp.add_argument(
        "--save-mapping", metavar="NAME", help="save the mapping used (not with --dry-run)"
    )
    imp.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first)")
    imp.add_argument("--decimal", choices=["point", "comma"], help="force the decimal separator")
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.add_argument("--format", choices=["table", "json"], default="table")

    ana = sub.add_parser("analyze", help="key-client concentration of a period")
    ana.add_argument("--year", type=int, help="a (fiscal) year; default: the latest in the ledger")
    ana.add_argument("--from", dest="date_from", metavar="DATE", help="first day, YYYY-MM-DD")
    ana.add_argument("--to", dest="date_to", metavar="DATE", help="exclusive end date, YYYY-MM-DD")
    ana.add_argument("--top", type=int, default=20, metavar="N", help="largest clients listed (20)")
    ana.add_argument("--format", choices=["table", "json", "csv"], default="table")

    sel = sub.add_parser("select", help="key-account candidates of a year, ranked by score")
    sel.add_argument("--year", type=int, help="default: the latest year with figures")
    sel.add_argument("--model", metavar="NAME", help="scoring model (default: the default one)")
    sel.add_argument("--top", type=int, metavar="N", help="only the N best")
    status = sel.add_mutually_exclusive_group()
    status.add_argument("--key-accounts", action="store_true", help="only key accounts")
    status.add_argument("--candidates", action="store_true", help="only the other clients")
    sel.add_argument("--format", choices=["table", "json", "csv"], default="table")

    wallet = sub.add_parser("wallet", help="import or export wallet estimates")
    wallet_sub = wallet.add_subparsers(dest="wallet_command", required=True)
    wallet_imp = wallet_sub.add_parser(
        "import", help="wallet estimates from CSV or XLSX, all or nothing"
    )
    wallet_imp.add_argument("path", type=Path)
    wallet_imp.add_argument("--dry-run", action="store_true", help="check, change nothing")
    wallet_exp = wallet_sub.add_parser("export", help="wallet estimates as CSV or JSON")
    wallet_exp.add_argument("--year", type=int)
    wallet_exp.add_argument("--format", choices=["csv", "json"], default="csv")

    designate = sub.add_parser("designate", help="make a client a key account of a tier")
    designate.add_argument("client", help="the client id")
    designate.add_argument("--tier", required=True, choices=["1", "2", "3"])
    designate.add_argument("--reason", required=True)
    designate.add_argument("--manager", metavar="USERNAME", help="assign its manager too")
    designate.add_argument("--handover-note", default="", help="when the manager changes")
    revoke = sub.add_parser("revoke", help="end a client's key-account status")
    revoke.add_argument("client", help="the client id")
    revoke.add_argument("--reason", required=True)

    demo = sub.add_parser("demo", help="generate and import a believable demo ledger")
    demo.add_argument(
        "--clients",
        type=int,
        default=400,
        help="clients invoices are drawn from (400); with few lines some buy nothing",
    )
    demo.add_argument("--lines", type=int, default=60_000, help="invoice lines (60000)")
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same ledger")
    demo.add_argument("--output", type=Path, help="also keep the generated CSV here")
    demo.add_argument("--if-empty", action="store_true", help="only when the ledger is empty")

    user = sub.add_parser("createuser", help="create a person who can sign in")
    user.add_argument("username")
    user.add_argument("--role", default="analyst")
    user.add_argument("--email", default="")
    user.add_argument("--password", help="default: asked on the terminal")

    serve = sub.add_parser("serve", help="serve the web app on 127.0.0.1")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host", default="127.0.0.1")

    sub.add_parser("migrate", help="create or upgrade the operational database")
    sub.add_parser("setup", help="migrate, then add demo data and a demo user when empty")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from django.core.exceptions import ImproperlyConfigured

    try:
        _setup()
    except ImproperlyConfigured as error:  # a setting the environment got wrong
        print(f"kam {args.command}: {error}", file=sys.stderr)
        return EXIT_ERROR
    from django.db import OperationalError

    from kam.common.errors import DomainError

    handler: Callable[[argparse.Namespace], int] = COMMANDS[args.command]
    try:
        return handler(args)
    except DomainError as error:
        print(f"kam {args.command}: {error}", file=sys.stderr)
        return EXIT_ERROR
    except OperationalError as error:
        hint = ""
        if re.search(r"no such table|relation \S+ does not exist", str(error)):
            hint = " (a new database: run `kam migrate` first, or `kam setup`)"
        print(
            f"kam {args.command}: the operational database is unavailable: "
            f"{_first_line(error)}{hint}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _import(args: argparse.Namespace) -> int:
    from kam.cli_output import import_progress, print_import_report
    from kam.ledger.parsing import parse_overrides
    from kam.ledger.selectors import ledger_store
    from kam.ledger.services import ledger_import

    with import_progress() as progress:
        report = ledger_import(
            store=ledger_store(),
            paths=args.paths,
            given=parse_overrides(args.map),
            mapping_name=args.mapping,
            save_mapping=args.save_mapping,
            sheet=args.sheet,
            decimal=args.decimal,
            dry_run=args.dry_run,
            operator=getpass.getuser(),
            progress=progress,
        )
    _audit_committed(report)
    print_import_report(report, as_json=args.format == "json")
    return _import_exit(args.command, report)


def _audit_committed(report: Any) -> None:
    """A committed import (even one whose follow-up failed) goes to the audit trail."""
    if report.ok and not report.dry_run:
        from kam.ledger.jobs import import_job_audit
        from kam.ledger.models import ImportJob

        import_job_audit(job=ImportJob.objects.get(pk=report.job_id), user=None)


def _import_exit(command: str, report: Any) -> int:
    if report.follow_up_error:
        from kam.ledger.services import follow_up_message

        print(f"kam {command}: {follow_up_message(report.follow_up_error)}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _analyze(args: argparse.Namespace) -> int:
    from django.conf import settings

    from kam.analytics.selectors import concentration_analysis, default_period
    from kam.analytics.services import snapshot_ensure_current
    from kam.common.periods import FIRST_YEAR, LAST_YEAR, Period, PeriodError
    from kam.ledger.selectors import ledger_store

    if args.top < 1:
        raise PeriodError("--top is at least 1")
    if args.year is not None and not FIRST_YEAR <= args.year <= LAST_YEAR:
        raise PeriodError(f"a year is between {FIRST_YEAR} and {LAST_YEAR} (not {args.year})")
    if args.year is not None and (args.date_from or args.date_to):
        raise PeriodError("give either --year or --from/--to, not both")
    store = ledger_store()  # the arguments are checked before any work on the ledger
    snapshot_ensure_current(store=store)
    if args.year is not None:
        period = Period.year(args.year, start_month=settings.KAM_FISCAL_YEAR_START)
    elif args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise PeriodError("--from and --to go together")
        period = Period.parse(args.date_from, args.date_to)
    else:
        period = default_period(store=store)
    analysis = concentration_analysis(store=store, period=period)
    if args.format == "json":
        print(json.dumps(analysis.as_json(top=args.top), indent=1, ensure_ascii=False))
    elif args.format == "csv":
        _print_csv(analysis.top(args.top))
    else:
        from kam.cli_output import print_analysis  # rich: only for the table

        print_analysis(analysis, top=args.top)
    return EXIT_OK


def _print_csv(rows: list[dict[str, Any]]) -> None:
    from kam.common.exports import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["client", "name", "revenue", "share", "cumulative_share", "class"])
    for row in rows:
        writer.writerow(
            [
                safe_cell(row[k])
                for k in ("client", "name", "revenue", "share", "cumulative_share", "class")
            ]
        )
    sys.stdout.write(out.getvalue())


def _select(args: argparse.Namespace) -> int:
    """Every client of the year scored (the command sees every client, as the system)."""
    from kam.accounts.models import ScoringModel
    from kam.accounts.selectors import scores_of, scoring_model_get, scoring_years
    from kam.accounts.services import AccountsError
    from kam.analytics.services import snapshot_ensure_current
    from kam.clients.models import Client
    from kam.ledger.selectors import ledger_store

    snapshot_ensure_current(store=ledger_store())
    years = scoring_years()
    year = args.year if args.year is not None else (years[0] if years else None)
    if year is None or year not in years:
        raise AccountsError(
            f"no figures for {year}" if year is not None else "no figures yet: import a ledger"
        )
    if args.model and not ScoringModel.objects.filter(name=args.model).exists():
        names = ", ".join(ScoringModel.objects.values_list("name", flat=True))
        raise AccountsError(f"no scoring model named {args.model!r} (there are: {names})")
    if args.top is not None and args.top < 1:
        raise AccountsError("--top is at least 1")
    scores = scores_of(year=year, model=scoring_model_get(args.model))
    clients = Client.objects.in_bulk(list(scores.order))
    wanted = [
        (clients[c], scores.by_client[c])
        for c in scores.order
        if not (args.key_accounts and not clients[c].is_key_account)
        and not (args.candidates and clients[c].is_key_account)
    ][: args.top]
    document = _select_document(scores, wanted)
    if args.format == "json":
        print(json.dumps(document, indent=1, ensure_ascii=False))
    elif args.format == "csv":
        _print_select_csv(document["candidates"])
    else:
        _print_select_table(document)
    return EXIT_OK


def _select_document(scores: Any, rows: list[tuple[Any, Any]]) -> dict[str, Any]:
    """The `kam select --format json` document: money as decimal text, shares as numbers."""
    from kam.analytics.core.scoring import CRITERIA, weights_normalise
    from kam.common.money import money_str

    def num(value: float | None, places: int = 4) -> float | None:
        return None if value is None else round(value, places)

    def money(value: Any) -> str | None:
        return None if value is None else money_str(value)

    model = scores.model
    return {
        "year": scores.year,
        "model": {
            "name": model.name,
            "weights": {c: num(w, 6) for c, w in weights_normalise(model.weights).items()},
            "thresholds": {
                "attractiveness": model.attractiveness_threshold,
                "strength": model.strength_threshold,
            },
        },
        "clients": len(scores.by_client),
        "candidates": [
            {
                "rank": f.rank,
                "client": client.external_id,
                "name": client.name,
                "score": num(f.score.total, 2),
                "coverage": num(f.score.coverage),
                "criteria": {c: num(f.criteria.get(c), 2) for c in CRITERIA},
                "contributions": {c: num(v, 2) for c, v in f.score.contributions.items()},
                "missing": list(f.score.missing),
                "inputs": {
                    "revenue": money(f.revenue),
                    "growth": num(f.growth),
                    "margin_percent": num(f.margin_percent),
                    "discount": num(f.discount),
                    "partnership": f.partnership,
                    "position": f.position,
                    "wallet": money(f.wallet),
                    "potential": money(f.potential),
                    "share_of_wallet": num(f.share_of_wallet),
                },
                "abc": f.abc_class or None,
                "quadrant": f.quadrant.value if f.quadrant else None,
                "key_account": client.is_key_account,
                "tier": client.tier if client.is_key_account and client.tier else None,
            }
            for client, f in rows
        ],
    }


SELECT_CSV = ("rank", "client", "name", "score", "coverage")


def _print_select_csv(rows: list[dict[str, Any]]) -> None:
    from kam.analytics.core.scoring import CRITERIA
    from kam.common.exports import safe_cell

    inputs = ("revenue", "growth", "margin_percent", "discount", "partnership", "potential")
    tail = ("abc", "quadrant", "key_account", "tier")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*SELECT_CSV, *CRITERIA, *inputs, *tail, "missing"])
    for row in rows:
        cells = [row[k] for k in SELECT_CSV]
        cells += [row["criteria"][c] for c in CRITERIA]
        cells += [row["inputs"][k] for k in inputs]
        cells += [row[k] for k in tail] + [" ".join(row["missing"])]
        writer.writerow(["" if c is None else safe_cell(c) for c in cells])
    sys.stdout.write(out.getvalue())


def _print_select_table(document: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from kam.cli_output import console

    model = document["model"]
    console.print(
        f"[bold]Key-account candidates, {document['year']}[/bold]: "
        f'{document["clients"]:,} buying clients scored with "{escape(model["name"])}"'
    )
    table = Table(show_edge=False)
    for column in ("rank", "client", "name", "score", "coverage", "class", "status", "missing"):
        table.add_column(column, justify="right" if column in ("rank", "score") else "left")
    for row in document["candidates"]:
        status = f"key, tier {row['tier']}" if row["key_account"] else "candidate"
        table.add_row(
            str(row["rank"]),
            escape(row["client"]),
            escape(row["name"]),
            "—" if row["score"] is None else f"{row['score']:.1f}",
            f"{row['coverage']:.0%}",
            row["abc"] or "",
            status,
            ", ".join(row["missing"]),
        )
    console.print(table)


def _demo(args: argparse.Namespace) -> int:
    from kam.analytics import engine
    from kam.cli_output import import_progress, print_import_report
    from kam.ledger.demo import DemoSpec, write_demo_csv
    from kam.ledger.selectors import ledger_store
    from kam.ledger.services import ledger_import

    store = ledger_store()
    if args.if_empty and engine.ledger_span(store).lines > 0:
        print("the ledger already holds data; no demo data added")
        return EXIT_OK
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kam-demo-") as folder:
        path = args.output or Path(folder) / "demo_erp_export.csv"
        write_demo_csv(path, DemoSpec(clients=args.clients, lines=args.lines, seed=args.seed))
        with import_progress() as progress:
            report = ledger_import(store=store, paths=[path], operator="demo", progress=progress)
    _audit_committed(report)
    print_import_report(report, as_json=False)
    if report.ok and not report.follow_up_error:
        _accounts_demo()
        _planning_demo(store)
    return _import_exit(args.command, report)


def _accounts_demo() -> None:
    """The demo's KAM organisation and key accounts (see kam.accounts.demo)."""
    from kam.accounts.demo import accounts_demo_seed, demo_people_password

    done = accounts_demo_seed()
    if done.people:
        print(f"demo organisation: {len(done.people)} people, {done.key_accounts} key accounts")
        print(f"demo people sign in with {demo_people_password()}: {', '.join(done.people)}")


def _planning_demo(store: Any) -> None:
    """A plan, objectives, buying centre, deals and tasks for each demo key account."""
    from kam.planning.demo import planning_demo_seed

    if planned := planning_demo_seed(store=store):
        print(f"demo account plans: {planned} key accounts")


def _cli_actor() -> Any:
    """The command line acts for the company (it may change every client), audited as cli."""
    from kam.audit.models import AuditEvent
    from kam.audit.services import Actor

    return Actor(user=None, interface=AuditEvent.Interface.CLI, label=getpass.getuser())


def _wallet(args: argparse.Namespace) -> int:
    from kam.accounts.exports import (
        WalletFileProblemsError,
        wallet_export_rows,
        wallet_file_import,
    )
    from kam.accounts.models import WalletEstimate

    if args.wallet_command == "export":
        estimates = WalletEstimate.objects.select_related("client").order_by(
            "client__external_id", "year", "category"
        )
        if args.year is not None:
            estimates = estimates.filter(year=args.year)
        rows = wallet_export_rows(estimates, spreadsheet=args.format == "csv")
        if args.format == "json":
            print(json.dumps(rows, indent=1, ensure_ascii=False))
        else:
            out = io.StringIO()
            writer = csv.DictWriter(
                out, fieldnames=["client", "year", "category", "amount", "source", "confidence"]
            )
            writer.writeheader()
            writer.writerows(rows)
            sys.stdout.write(out.getvalue())
        return EXIT_OK
    try:
        created, changed = wallet_file_import(
            path=args.path, actor=_cli_actor(), dry_run=args.dry_run
        )
    except WalletFileProblemsError as error:
        print(f"kam wallet import: {error}", file=sys.stderr)
        for p in error.problems:
            print(f"{p.file}, row {p.row}, {p.column} {p.value!r}: {p.reason}", file=sys.stderr)
        return EXIT_PROBLEMS
    verb = "would save" if args.dry_run else "saved"
    print(f"{verb} {created + changed} wallet estimate(s): {created} new, {changed} changed")
    return EXIT_OK


def _designate(args: argparse.Namespace) -> int:
    from kam.accounts.services import AccountsError, key_account_designate
    from kam.clients.models import Client
    from kam.people.models import User

    client = Client.objects.filter(external_id=args.client).first()
    if client is None:
        raise AccountsError(f"no client {args.client!r}")
    manager = None
    if args.manager:
        manager = User.objects.filter(username=args.manager).first()
        if manager is None:
            raise AccountsError(f"no user named {args.manager!r}")
    key_account_designate(
        actor=_cli_actor(),
        client=client,
        tier=args.tier,
        reason=args.reason,
        manager=manager,
        handover_note=args.handover_note,
    )
    client.refresh_from_db()
    managed = f", managed by {client.manager.username}" if client.manager else ""
    print(f"{client.external_id} {client.name}: key account of tier {client.tier}{managed}")
    return EXIT_OK


def _revoke(args: argparse.Namespace) -> int:
    from kam.accounts.services import AccountsError, key_account_revoke
    from kam.clients.models import Client

    client = Client.objects.filter(external_id=args.client).first()
    if client is None:
        raise AccountsError(f"no client {args.client!r}")
    key_account_revoke(actor=_cli_actor(), client=client, reason=args.reason)
    print(f"{client.external_id} {client.name}: no longer a key account")
    return EXIT_OK


def _createuser(args: argparse.Namespace) -> int:
    from kam.audit.models import AuditEvent
    from kam.audit.services import Actor
    from kam.people.services import user_create

    password = args.password or getpass.getpass("Password (12 characters or more): ")
    actor = Actor(user=None, interface=AuditEvent.Interface.CLI, label=getpass.getuser())
    user = user_create(
        username=args.username, password=password, role=args.role, email=args.email, actor=actor
    )
    print(f"created {user.username} ({user.get_role_display()})")
    return EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print("database ready")
    return EXIT_OK


def _catch_up() -> None:
    """At start-up: finish what an interrupted import left undone, and make sure the
    snapshot the pages read matches the ledger."""
    from kam.analytics.services import snapshot_ensure_current
    from kam.ledger.jobs import import_jobs_reap
    from kam.ledger.selectors import ledger_store

    store = ledger_store()
    import_jobs_reap(store=store)
    if snapshot_ensure_current(store=store):
        print("the figures were brought up to date with the ledger")


_DEMO_BESIDE_OWN_DATA = (
    "warning: the demo director still signs in with the published demo password beside "
    "your own ledger; change its password or deactivate it on the People page"
)


def _setup_command(args: argparse.Namespace) -> int:
    from kam.ledger.selectors import ledger_holds_own_data
    from kam.people.services import demo_user_ensure, demo_user_exists

    _migrate(args)
    _catch_up()
    _demo(
        argparse.Namespace(
            command="setup", clients=400, lines=60_000, seed=7, output=None, if_empty=True
        )
    )
    if ledger_holds_own_data():
        # A director with a published password has no place beside a real ledger.
        if demo_user_exists():
            print(_DEMO_BESIDE_OWN_DATA)
        else:
            print("no demo sign-in beside your own ledger: add people with kam createuser")
        return EXIT_OK
    username, password = demo_user_ensure()
    if password:
        print(f"demo sign-in: {username} / {password}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from kam.ledger.selectors import ledger_holds_own_data
    from kam.people.services import demo_sign_in

    port = args.port or settings.KAM_PORT
    _catch_up()
    print(f"KAM is at http://{args.host}:{port}/ (Ctrl+C stops it)")
    if sign_in := demo_sign_in():
        if ledger_holds_own_data():
            print(_DEMO_BESIDE_OWN_DATA)
        else:
            print("demo sign-in: {} / {}".format(*sign_in))
    call_command("runserver", f"{args.host}:{port}", use_reloader=False, use_threading=True)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "import": _import,
    "analyze": _analyze,
    "select": _select,
    "wallet": _wallet,
    "designate": _designate,
    "revoke": _revoke,
    "demo": _demo,
    "createuser": _createuser,
    "serve": _serve,
    "migrate": _migrate,
    "setup": _setup_command,
}

if __name__ == "__main__":
    sys.exit(main())
