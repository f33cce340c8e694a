"""The REST API under /api/v1/: one NinjaAPI, bearer-token authentication, JSON errors.

OpenAPI at /api/v1/openapi.json; the docs page /api/v1/docs serves Swagger UI
from ninja's own template and static files, never from a CDN (`LocalSwagger`).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.operation import Operation

from kam.api import accounts, analysis, clients, imports, planning, users
from kam.api.auth import TokenAuth
from kam.api.errors import api_root, install_error_handlers

DESCRIPTION = """Key-account management data for scripts and integrations.

Authenticate with a personal token (create it under *My account → API tokens*):
`Authorization: Bearer kam_…`. You see and change exactly what you would in the
web pages. Every error is `{"error": {"code": "...", "message": "..."}}`."""


class LocalSwagger(Swagger):
    """Swagger UI from ninja's template and static files, found through the settings.

    Ninja falls back to a CDN page when "ninja" is not an installed app; KAM does not
    install it (importing it at start-up costs every command a quarter second).
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        auth = api.auth if isinstance(api.auth, list | tuple) else ()
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": any(getattr(a, "csrf", False) for a in auth),
        }
        return render(request, self.template, context)


class KamAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Operation ids are the view names: clients_list, import_create, ..."""
        return operation.view_func.__name__

    def _get_urls(self) -> list[Any]:
        """Ninja's root address (kept: it names the API's base path) answers as every other
        address no operation answers: a JSON 404, not Django's HTML page."""
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern) and url.name == "api-root":
                url.callback = api_root
        return urls


def build_api() -> NinjaAPI:
    api = KamAPI(
        title="KAM API",
        version="1",
        description=DESCRIPTION,
        auth=TokenAuth(),
        urls_namespace="api",
        docs=LocalSwagger(settings={"validatorUrl": None, "tryItOutEnabled": False}),
    )
    install_error_handlers(api)
    # accounts and planning first: their operations under a client's address must win over
    # the address of the client itself
    for module in (accounts, planning, clients, analysis, imports, users):
        api.add_router("", module.router)
    return api


api = build_api()
