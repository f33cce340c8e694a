"""Forms of the people pages: a person, a team, a password, a language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils.translation import gettext_lazy as _

from kam.people.models import Function, Role, Team, User


class PasswordField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        widget = forms.PasswordInput(attrs={"autocomplete": "new-password"})
        super().__init__(strip=False, widget=widget, **kwargs)


class NewPasswordMixin(forms.Form):
    """A new password typed twice; the policy itself is checked by the service."""

    password = PasswordField(label=_("New password"))
    password_again = PasswordField(label=_("New password again"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data

    @staticmethod
    def policy() -> list[str]:
        return list(password_validators_help_texts())


class PersonForm(forms.Form):
    """What an administrator may change about a person."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("no team")
    )
    is_active = forms.BooleanField(label=_("May sign in"), required=False, initial=True)


class PersonCreateForm(NewPasswordMixin, PersonForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    field_order = ("username", "first_name", "last_name", "email", "role", "team")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]


class PasswordSetForm(NewPasswordMixin):
    pass


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    function = forms.ChoiceField(
        label=_("Function"),
        choices=Function.choices,
        initial=Function.KAM,
        required=False,  # left out: a new team is a KAM team, an existing one keeps its function
        help_text=_("The company function the team serves; the org chart marks the KAM teams."),
    )
    lead = forms.ModelChoiceField(
        label=_("Lead"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label=_("no lead"),
    )
    parent = forms.ModelChoiceField(
        label=_("Part of"), queryset=Team.objects.all(), required=False, empty_label=_("no team")
    )

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if team is not None:
            parent = self.fields["parent"]
            assert isinstance(parent, forms.ModelChoiceField)
            parent.queryset = Team.objects.exclude(pk=team.pk)

    def clean_function(self) -> str | None:
        return self.cleaned_data.get("function") or None


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Interface language"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("as the browser asks")), *settings.LANGUAGES]
