"""Forms of the account work: they parse, kam.planning.services decides.

Every select of records (people, stakeholders, competitors, deals, objectives)
picks among options fetched once per page (`Picks`), so a page with a form per
row does not query once per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.people.models import Function
from kam.planning.models import (
    CompetitorAction,
    CompetitorPresence,
    Opportunity,
    Stakeholder,
    Task,
)

TEXT = forms.Textarea(attrs={"rows": 2})
HUNDRED = Decimal(100)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def today() -> dt.date:
    return timezone.localdate()


class Picks:
    """Records a select offers: (key, label) choices, possibly in groups, and key → record."""

    def __init__(
        self,
        records: Iterable[models.Model],
        label: Callable[[Any], str] = str,
        groups: Sequence[tuple[str, Sequence[models.Model]]] | None = None,
    ) -> None:
        self.records = list(records)
        self.by_key = {str(r.pk): r for r in self.records}
        self.choices: list[Any]
        if groups is None:
            self.choices = [(str(r.pk), label(r)) for r in self.records]
        else:
            self.choices = [
                (name, [(str(r.pk), label(r)) for r in members]) for name, members in groups
            ]


class PickField(forms.Field):
    """One record among the picks; cleans to the record, or None when left empty."""

    widget = forms.Select

    def __init__(self, *, empty_label: Any = "—", **kwargs: Any) -> None:
        self.empty_label = empty_label
        self.picks = Picks([])
        super().__init__(**kwargs)

    def offer(self, picks: Picks) -> None:
        self.picks = picks
        self.widget.choices = [("", self.empty_label), *picks.choices]

    def prepare_value(self, value: Any) -> Any:
        return value.pk if isinstance(value, models.Model) else value

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        found = self.picks.by_key.get(str(value))
        if found is None:
            raise forms.ValidationError(_("Choose one of the options."), code="invalid_choice")
        return found


class PicksField(forms.Field):
    """Any number of records among the picks, as ticks."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        self.picks = Picks([])
        super().__init__(required=False, **kwargs)

    def offer(self, picks: Picks) -> None:
        self.picks = picks
        self.widget.choices = picks.choices

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [v.pk if isinstance(v, models.Model) else v for v in value]
        return value

    def to_python(self, value: Any) -> list[Any]:
        found = []
        for key in value or ():
            record = self.picks.by_key.get(str(key))
            if record is None:
                raise forms.ValidationError(_("Choose one of the options."), code="invalid_choice")
            found.append(record)
        return found


class RecordForm(forms.Form):
    """A form for one kind of per-account record; `values()` is what record_save takes."""

    picks: ClassVar[tuple[tuple[str, str], ...]] = ()  # (field, name of the Picks it offers)

    def __init__(
        self,
        data: Any = None,
        *,
        options: dict[str, Picks],
        instance: models.Model | None = None,
        prefix: str,
    ) -> None:
        initial = self.initial_of(instance) if instance is not None else None
        super().__init__(data, initial=initial, prefix=prefix)
        self.instance = instance
        for field, name in self.picks:
            widget_field = self.fields[field]
            assert isinstance(widget_field, PickField | PicksField)
            widget_field.offer(options[name])

    def initial_of(self, instance: models.Model) -> dict[str, Any]:
        return {name: getattr(instance, name, None) for name in self.base_fields}

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class StakeholderForm(RecordForm):
    picks = (("reports_to", "stakeholders"), ("owner", "people"))

    name = forms.CharField(label=_("Name"), max_length=150)
    title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role in the decision"), choices=Stakeholder.Role.choices)
    influence = forms.TypedChoiceField(
        label=_("Influence (1-5)"), choices=[(n, str(n)) for n in range(1, 6)], coerce=int
    )
    attitude = forms.TypedChoiceField(
        label=_("Attitude to us"),
        choices=Stakeholder.Attitude.choices,
        coerce=int,
        initial=Stakeholder.Attitude.NEUTRAL,
    )
    reports_to = PickField(label=_("Reports to"), required=False, empty_label=_("nobody here"))
    owner = PickField(label=_("Our relationship owner"), required=False, empty_label=_("nobody"))
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), widget=TEXT, required=False, max_length=5000)

    def clean_reports_to(self) -> Stakeholder | None:
        boss = self.cleaned_data.get("reports_to")
        if boss is not None and self.instance is not None and boss.pk == self.instance.pk:
            raise forms.ValidationError(_("A person cannot report to themselves."))
        return boss


class StepForm(RecordForm):
    picks = (("stakeholder", "stakeholders"),)

    position = forms.IntegerField(label=_("Order"), min_value=1, max_value=999)
    name = forms.CharField(label=_("Step"), max_length=150)
    description = forms.CharField(
        label=_("Description"), widget=TEXT, required=False, max_length=5000
    )
    stakeholder = PickField(label=_("Person involved"), required=False, empty_label=_("nobody"))


class DealForm(RecordForm):
    picks = (("owner", "people"), ("competitors", "competitors"))

    title = forms.CharField(label=_("Title"), max_length=200)
    stage = forms.ChoiceField(label=_("Stage"), choices=Opportunity.Stage.choices)
    value = forms.DecimalField(
        label=_("Value"), min_value=0, max_digits=18, decimal_places=2, localize=True
    )
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100)
    expected_close = forms.DateField(label=_("Expected close"), widget=DateInput())
    categories = forms.CharField(label=_("Products or categories"), max_length=500, required=False)
    competitors = PicksField(label=_("Competitors met"))
    owner = PickField(label=_("Owner"), required=False, empty_label=_("nobody"))

    def initial_of(self, instance: models.Model) -> dict[str, Any]:
        initial = super().initial_of(instance)
        initial["competitors"] = list(getattr(instance, "competitors").all())  # noqa: B009
        return initial

    def values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values.pop("competitors", None)
        return values


class NegotiationForm(RecordForm):
    picks = (("opportunity", "deals"),)

    happened_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=today)
    opportunity = PickField(label=_("Deal"), required=False, empty_label=_("no deal in particular"))
    summary = forms.CharField(label=_("What was discussed"), widget=TEXT, max_length=5000)
    outcome = forms.CharField(
        label=_("Outcome and next step"), widget=TEXT, required=False, max_length=5000
    )


class PresenceForm(RecordForm):
    picks = (("competitor", "competitors"),)

    competitor = PickField(label=_("Competitor"), empty_label=_("choose a competitor"))
    estimated_share = forms.DecimalField(
        label=_("Estimated share (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
        localize=True,
        help_text=_("Of the client's spend in our categories."),
    )
    price_position = forms.ChoiceField(
        label=_("Price position"),
        choices=[("", _("unknown")), *CompetitorPresence.PricePosition.choices],
        required=False,
    )
    notes = forms.CharField(label=_("Notes"), widget=TEXT, required=False, max_length=5000)

    def initial_of(self, instance: models.Model) -> dict[str, Any]:
        initial = super().initial_of(instance)
        share = initial.get("estimated_share")
        initial["estimated_share"] = None if share is None else (share * HUNDRED).normalize()
        return initial

    def values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        share = values.get("estimated_share")
        values["estimated_share"] = (
            None if share is None else (share / HUNDRED).quantize(Decimal("0.0001"))
        )
        return values


class CompetitorActionForm(RecordForm):
    picks = (("competitor", "competitors"),)

    competitor = PickField(label=_("Competitor"), empty_label=_("choose a competitor"))
    happened_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=today)
    kind = forms.ChoiceField(label=_("Kind"), choices=CompetitorAction.Kind.choices)
    description = forms.CharField(label=_("What happened"), widget=TEXT, max_length=5000)
    source = forms.CharField(
        label=_("Source"), max_length=255, help_text=_("Where we heard it: who, which document.")
    )


class TaskForm(RecordForm):
    picks = (("objective", "objectives"), ("owner", "owners"))

    title = forms.CharField(label=_("Task"), max_length=200)
    detail = forms.CharField(label=_("Detail"), widget=TEXT, required=False, max_length=5000)
    objective = PickField(label=_("Objective"), required=False, empty_label=_("none"))
    function = forms.ChoiceField(
        label=_("Function asked"),
        choices=[("", _("none: an action of the plan")), *Function.choices],
        required=False,
    )
    owner = PickField(label=_("Owner"), empty_label=_("choose a person"))
    due_on = forms.DateField(label=_("Due"), widget=DateInput())
    status = forms.ChoiceField(
        label=_("Status"), choices=Task.Status.choices, initial=Task.Status.OPEN
    )


class AskForm(TaskForm):
    """An ask to an internal function: the function is required, the owner one of its people."""

    function = forms.ChoiceField(
        label=_("Function asked"),
        choices=[("", _("choose a function")), *Function.choices],
        help_text=_("People are grouped by their team's function; anyone active may own it."),
    )
    status = forms.ChoiceField(
        choices=Task.Status.choices, initial=Task.Status.OPEN, widget=forms.HiddenInput
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)


class CompetitorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    website = forms.CharField(label=_("Website"), max_length=255, required=False)
    notes = forms.CharField(label=_("Notes"), widget=TEXT, required=False, max_length=5000)


class MarketActionForm(forms.Form):
    competitor = PickField(label=_("Competitor"), empty_label=_("choose a competitor"))
    happened_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=today)
    kind = forms.ChoiceField(label=_("Kind"), choices=CompetitorAction.Kind.choices)
    description = forms.CharField(label=_("What happened"), widget=TEXT, max_length=5000)
    source = forms.CharField(label=_("Source"), max_length=255)

    def __init__(self, data: Any = None, *, competitors: Picks, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["competitor"]
        assert isinstance(field, PickField)
        field.offer(competitors)


class LogFilterForm(forms.Form):
    """The competitor log's filters; an invalid value is ignored rather than refused."""

    competitor = PickField(label=_("Competitor"), required=False, empty_label=_("All"))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *CompetitorAction.Kind.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    date_to = forms.DateField(label=_("To"), widget=DateInput(), required=False)

    def __init__(self, data: Any, *, competitors: Picks) -> None:
        super().__init__(data, auto_id="id_filter_%s")
        field = self.fields["competitor"]
        assert isinstance(field, PickField)
        field.offer(competitors)

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data.get(k) for k in ("competitor", "kind", "date_from", "date_to")}
