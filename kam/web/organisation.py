"""Organising the programme: key-account actions on a client, the org chart, notifications."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "organisation"
urlpatterns: list[URLPattern] = []
