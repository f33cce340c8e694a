"""The one exception base whose message is safe to show a user."""


class DomainError(Exception):
    """A refusal the user can act on; `str(error)` is shown as it is."""

    code = "domain_error"
