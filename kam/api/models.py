"""Personal API tokens: only a SHA-256 digest of the secret is kept, never the secret."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token a person created for a script or an integration."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=16)  # shown to tell tokens apart
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the whole token, hex
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name} (kam_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
