from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Client(models.Model):
    """A buying company, identified by the client id of the sales ledger."""

    external_id = models.CharField(_("client id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    country = models.CharField(_("country"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("external_id",)

    def __str__(self) -> str:
        return self.name if self.name == self.external_id else f"{self.name} ({self.external_id})"
