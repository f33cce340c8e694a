"""Case-insensitive search on SQLite for every letter, not only ASCII.

SQLite's LIKE folds the case of ASCII letters only, so `ștefan` would not find
`Ștefan`. On SQLite, an `icontains` on a text field whose search text holds a
non-ASCII character compares case-folded text instead: both sides through
Python's `str.casefold`, registered on each SQLite connection as
`kam_casefold()`. An ASCII search text keeps SQLite's own LIKE (already right,
and fast), so the Python function only runs for searches that need it.
PostgreSQL is left as it is (its UPPER/LIKE already fold every letter).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import CharField, TextField
from django.db.models.lookups import IContains


def _casefold(value: Any) -> str | None:
    return None if value is None else str(value).casefold()


def install_casefold(sender: Any, connection: Any, **_: Any) -> None:
    """`connection_created` receiver: give each SQLite connection `kam_casefold()`."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("kam_casefold", 1, _casefold, deterministic=True)


class UnicodeIContains(IContains):
    """`icontains` that folds the case of every letter on SQLite too."""

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, Sequence[Any]]:
        if not self.rhs_is_direct_value() or self.bilateral_transforms:
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        if all(not isinstance(p, str) or p.isascii() for p in rhs_params):
            return self.as_sql(compiler, connection)
        folded = [p.casefold() if isinstance(p, str) else p for p in rhs_params]
        return f"kam_casefold({lhs_sql}) LIKE {rhs_sql} ESCAPE '\\'", [*lhs_params, *folded]


def register() -> None:
    """Install the lookup on text fields and the function on new SQLite connections."""
    from django.db.backends.signals import connection_created

    for field in (CharField, TextField):
        field.register_lookup(UnicodeIContains)
    connection_created.connect(install_casefold, dispatch_uid="kam.clients.casefold")
