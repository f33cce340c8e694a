"""The key-account section of the client page: its forms and what it shows.

The forms only parse; every rule (who may act, what is valid) is the
services' (kam.accounts.services), whose refusals are shown on the form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import RelationshipStage, WalletEstimate
from kam.accounts.selectors import account_history
from kam.clients.access import ALL_CHANGING, can_see_margins, editable_clients
from kam.clients.models import AccountTeamMember, Client, Tier
from kam.clients.services import MANAGER_ROLES
from kam.people.models import User

TEXT = forms.Textarea(attrs={"rows": 2})
RATINGS = [(n, str(n)) for n in range(1, 6)]


def people_offered() -> list[User]:
    """The active people, once for every person select of the section."""
    return list(User.objects.filter(is_active=True).order_by("first_name", "last_name", "username"))


class PersonChoiceField(forms.ChoiceField):
    """One of the people offered; cleans to the User (or None when left empty)."""

    def __init__(self, *, managers_only: bool = False, empty_label: Any = None, **kwargs: Any):
        self.managers_only = managers_only
        self.empty_label = empty_label
        self.people: dict[str, User] = {}
        super().__init__(choices=(), **kwargs)

    def offer(self, people: list[User]) -> None:
        if self.managers_only:
            people = [p for p in people if p.role in MANAGER_ROLES]
        self.people = {str(p.pk): p for p in people}
        blank = [("", self.empty_label or "—")]
        self.choices = [*blank, *((key, str(p)) for key, p in self.people.items())]

    def clean(self, value: Any) -> User | None:
        key = super().clean(value)
        return self.people.get(key) if key else None


class SectionForm(forms.Form):
    """A form of the section; person selects offer the people given."""

    def __init__(self, *args: Any, people: list[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, PersonChoiceField):
                field.offer(people or [])


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _today() -> dt.date:
    return timezone.localdate()


class DesignateForm(SectionForm):
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    reason = forms.CharField(label=_("Reason"), widget=TEXT, max_length=5000)
    manager = PersonChoiceField(
        label=_("Key-account manager"),
        managers_only=True,
        required=False,
        empty_label=_("keep as it is"),
    )
    handover_note = forms.CharField(
        label=_("Hand-over note"),
        widget=TEXT,
        required=False,
        max_length=5000,
        help_text=_("Needed when the client already has a manager and changes hands."),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=TEXT, max_length=5000)


class ManagerForm(SectionForm):
    manager = PersonChoiceField(
        label=_("Key-account manager"), managers_only=True, required=False, empty_label=_("nobody")
    )
    handover_note = forms.CharField(
        label=_("Hand-over note"),
        widget=TEXT,
        required=False,
        max_length=5000,
        help_text=_("Required when a key account changes hands."),
    )


class TeamMemberForm(SectionForm):
    user = PersonChoiceField(label=_("Person"), empty_label=_("choose a person"))
    function = forms.ChoiceField(label=_("Function"), choices=AccountTeamMember.Function.choices)
    role_on_account = forms.CharField(
        label=_("Role on the account"), required=False, max_length=120
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Relationship stage"), choices=RelationshipStage.Stage.choices
    )
    noted_on = forms.DateField(label=_("Date"), widget=_DateInput(), initial=_today)
    evidence = forms.CharField(label=_("Evidence"), widget=TEXT, max_length=5000)


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating (1-5)"), choices=RATINGS, coerce=int)
    noted_on = forms.DateField(label=_("Date"), widget=_DateInput(), initial=_today)
    note = forms.CharField(label=_("Note"), widget=TEXT, required=False, max_length=5000)


class WalletForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2999)
    category = forms.CharField(
        label=_("Category"),
        required=False,
        max_length=255,
        help_text=_("Leave empty for the whole wallet."),
    )
    amount = forms.DecimalField(label=_("Estimated wallet"), min_value=0, decimal_places=2)
    source = forms.CharField(label=_("Source"), max_length=255)
    confidence = forms.ChoiceField(
        label=_("Confidence"),
        choices=WalletEstimate.Confidence.choices,
        initial=WalletEstimate.Confidence.MEDIUM,
    )


# key -> (form class, whether only a director may use it)
FORMS: dict[str, tuple[type[forms.Form], bool]] = {
    "designate": (DesignateForm, True),
    "revoke": (RevokeForm, True),
    "manager": (ManagerForm, True),
    "team": (TeamMemberForm, False),
    "stage": (StageForm, False),
    "intent": (RatingForm, False),
    "position": (RatingForm, False),
    "wallet": (WalletForm, False),
}


PERSON_FORMS = frozenset({"designate", "manager", "team"})


def form_of(
    key: str, data: Any = None, *, people: list[User] | None = None, **kwargs: Any
) -> forms.Form:
    """The section's form `key`, with ids of its own (several forms share field names)."""
    form_class = FORMS[key][0]
    if key in PERSON_FORMS:
        kwargs["people"] = people_offered() if people is None else people
    return form_class(data, auto_id=f"id_{key}_%s", **kwargs)


def may_decide(user: Any) -> bool:
    """Designation, tier and manager are decided by a director (or an administrator)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) in ALL_CHANGING
    )


def may_change(user: Any, client: Client) -> bool:
    """The account team and the judgements are kept by whoever may change the client."""
    return editable_clients(user).filter(pk=client.pk).exists()


def key_account_context(
    *, user: Any, client: Client, bound: dict[str, forms.Form] | None = None, notice: str = ""
) -> dict[str, Any]:
    """What the key-account section shows; `bound` holds forms refused, with their errors."""
    history = account_history(user=user, client=client)
    assert history is not None  # the client page shows only visible clients
    decide = may_decide(user)
    change = decide or may_change(user, client)
    people = people_offered() if change else []
    forms_shown: dict[str, forms.Form] = {}
    for key, (_form_class, director_only) in FORMS.items():
        if decide if director_only else change:
            initial = {"manager": client.manager_id} if key == "manager" else None
            forms_shown[key] = form_of(key, initial=initial, people=people)
    forms_shown.update(bound or {})
    return {
        "ka_client": client,
        "ka": history,
        "ka_stage": history.stages[0] if history.stages else None,
        "ka_forms": forms_shown,
        "ka_functions": AccountTeamMember.Function.choices,
        "ka_may_decide": decide,
        "ka_may_change": change,
        "ka_wallets_shown": can_see_margins(user),
        "ka_notice": notice,
    }
