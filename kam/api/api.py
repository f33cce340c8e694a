"""The REST API under /api/v1/: one NinjaAPI, bearer-token authentication, JSON errors.

OpenAPI at /api/v1/openapi.json; the docs page /api/v1/docs serves Swagger UI
from ninja's own static files (no CDN; "ninja" is in INSTALLED_APPS for that).
"""

from __future__ import annotations

from typing import Any

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
        docs=Swagger(settings={"validatorUrl": None, "tryItOutEnabled": False}),
    )
    install_error_handlers(api)
    # accounts and planning first: their operations under a client's address must win over
    # the address of the client itself
    for module in (accounts, planning, clients, analysis, imports, users):
        api.add_router("", module.router)
    return api


api = build_api()
