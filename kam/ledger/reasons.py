"""Why a row was refused, in the reader's language.

An import job keeps each problem's reason as the English text the checks wrote:
the command line, the API and the job record give that text, which stays the
same whatever language a person reads. The pages and the problems CSV show it
translated: each known reason is a pattern whose parts (a date format, a
currency, an invoice) are carried into the translated sentence. A reason no
pattern knows is shown as it is.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# (English reason as the checks write it, its translation with the same %(names)s)
_REASONS: list[tuple[re.Pattern[str], Promise]] = [
    (re.compile(r"missing invoice number"), _("missing invoice number")),
    (re.compile(r"missing product id"), _("missing product id")),
    (re.compile(r"missing date"), _("missing date")),
    (re.compile(r"missing net amount"), _("missing net amount")),
    (re.compile(r"missing quantity"), _("missing quantity")),
    (re.compile(r"missing unit price"), _("missing unit price")),
    (
        re.compile(r"missing quantity \(and no net amount\)"),
        _("missing quantity (and no net amount)"),
    ),
    (
        re.compile(r"missing unit price \(and no net amount\)"),
        _("missing unit price (and no net amount)"),
    ),
    (re.compile(r"not a number"), _("not a number")),
    (re.compile(r"not a whole line number"), _("not a whole line number")),
    (re.compile(r"not a date \(expected (?P<shape>.+)\)"), _("not a date (expected %(shape)s)")),
    (
        re.compile(
            r"a date outside (?P<first>\S+) … (?P<last>\S+) \(a placeholder, or a mistyped year\?\)"
        ),
        _("a date outside %(first)s … %(last)s (a placeholder, or a mistyped year?)"),
    ),
    (
        re.compile(r"quantity × unit price is too large an amount \(over (?P<limit>\S+)\)"),
        _("quantity × unit price is too large an amount (over %(limit)s)"),
    ),
    (
        re.compile(
            r"cannot tell the decimal separator of this column \(1,234 may be 1\.234 or 1234\): "
            r"choose it \(Decimal separator on the import page, --decimal comma\|point on the "
            r"command line\)"
        ),
        _(
            "cannot tell the decimal separator of this column (1,234 may be 1.234 or 1234): "
            "choose it with Decimal separator"
        ),
    ),
    (
        re.compile(
            r"written with the other decimal separator than the one chosen, (?P<style>\w+) "
            r"\(which reads numbers like (?P<example>\S+)\); fix the value or the choice"
        ),
        _(
            "written with the other decimal separator than the one chosen, %(style)s (which "
            "reads numbers like %(example)s); fix the value or the choice"
        ),
    ),
    (
        re.compile(
            r"currency differs from the reporting currency (?P<currency>\S+); convert it first"
        ),
        _("currency differs from the reporting currency %(currency)s; convert it first"),
    ),
    (
        re.compile(r"line (?P<line>.+) of invoice (?P<invoice>.+) repeats"),
        _("line %(line)s of invoice %(invoice)s repeats"),
    ),
    (
        re.compile(r"the row has more columns than the header"),
        _("the row has more columns than the header"),
    ),
    (
        re.compile(r"the row has fewer columns than the header"),
        _("the row has fewer columns than the header"),
    ),
    (re.compile(r"a quote is opened and never closed"), _("a quote is opened and never closed")),
    (re.compile(r"the line is longer than 1 MiB"), _("the line is longer than 1 MiB")),
    (re.compile(r"not valid UTF-8 text"), _("not valid UTF-8 text")),
]

_STYLES: dict[str, Promise] = {
    "comma": pgettext_lazy("decimal separator", "comma"),
    "point": pgettext_lazy("decimal separator", "point"),
}


def reason_in_words(reason: str) -> str:
    """`reason` in the active language when it is a known one; else as it is."""
    for pattern, words in _REASONS:
        if match := pattern.fullmatch(reason):
            parts = match.groupdict()
            if "style" in parts and parts["style"] in _STYLES:
                parts["style"] = str(_STYLES[parts["style"]])
            return str(words) % parts if parts else str(words)
    return reason
