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
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# Reasons without details: the English text is the message id.
_FIXED = frozenset(
    {
        gettext_noop("missing invoice number"),
        gettext_noop("missing product id"),
        gettext_noop("missing date"),
        gettext_noop("missing net amount"),
        gettext_noop("missing quantity"),
        gettext_noop("missing unit price"),
        gettext_noop("missing quantity (and no net amount)"),
        gettext_noop("missing unit price (and no net amount)"),
        gettext_noop("not a number"),
        gettext_noop("not a whole line number"),
        gettext_noop("the row has more columns than the header"),
        gettext_noop("the row has fewer columns than the header"),
        gettext_noop("a quote is opened and never closed"),
        gettext_noop("the line is longer than 1 MiB"),
        gettext_noop("not valid UTF-8 text"),
    }
)
# Reasons with details: the English text as a pattern, its translation with the same
# %(names)s.
_REASONS: list[tuple[re.Pattern[str], Promise]] = [
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
]

_STYLES: dict[str, Promise] = {
    "comma": pgettext_lazy("decimal separator", "comma"),
    "point": pgettext_lazy("decimal separator", "point"),
}


def reason_in_words(reason: str) -> str:
    """`reason` in the active language when it is a known one; else as it is."""
    if reason in _FIXED:
        return gettext(reason)
    for pattern, words in _REASONS:
        if match := pattern.fullmatch(reason):
            parts = match.groupdict()
            if "style" in parts and parts["style"] in _STYLES:
                parts["style"] = str(_STYLES[parts["style"]])
            return str(words) % parts if parts else str(words)
    return reason
