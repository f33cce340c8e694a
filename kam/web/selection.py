"""Choosing key accounts: the ranked candidates, the portfolio matrix, scoring models."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "selection"
urlpatterns: list[URLPattern] = []
