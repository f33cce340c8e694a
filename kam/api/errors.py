"""Every API error is one JSON shape: {"error": {"code": ..., "message": ...}}.

Codes are stable (clients may branch on them); messages are for people and may
change or be translated. A `DomainError` keeps its own code; its HTTP status
comes from `STATUS_OF_CODE` (400 when not listed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kam.common.errors import DomainError

logger = logging.getLogger(__name__)

STATUS_OF_CODE = {
    "forbidden": 403,
    "import_not_allowed": 403,
    "upload_not_found": 404,
    "ledger_unavailable": 503,
    "currency_changed": 409,
}
CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorDetail


def error_response(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    parts = []
    for error in exc.errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "payload"))
        parts.append(f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", "")))
    return error_response(422, "validation_error", "; ".join(parts) or _("Invalid request."))


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    code = CODE_OF_STATUS.get(status, "error")
    return error_response(status, code, str(exc.message))


def _unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    message = _("A valid API token is required: send 'Authorization: Bearer kam_…'.")
    response = error_response(401, "unauthorized", message)
    response["WWW-Authenticate"] = 'Bearer realm="kam"'
    return response


def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(STATUS_OF_CODE.get(exc.code, 400), exc.code, str(exc))


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", _("Not found."))


def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, "forbidden", str(exc) or _("You may not do this."))


def _internal(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "internal_error", _("An unexpected error; it was logged."))


Handler = Callable[[HttpRequest, Any], HttpResponse]


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default error bodies with the one KAM shape."""
    handlers: list[tuple[type[Exception], Handler]] = [
        (Exception, _internal),
        (ValidationError, _validation),
        (HttpError, _http_error),
        (AuthenticationError, _unauthorized),
        (DomainError, _domain),
        (Http404, _not_found),
        (PermissionDenied, _forbidden),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
    """Ninja answers an unknown method with a plain-text 405; give it the JSON shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type") == "application/json":
            return response
        replaced = error_response(405, "method_not_allowed", _("This method is not allowed here."))
        replaced["Allow"] = response.get("Allow", "")
        return replaced

    return wrapper


@csrf_exempt  # no cookie auth under /api/v1/; a POST here must get JSON, not a CSRF page
def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any /api/v1/ address no operation answers."""
    return error_response(404, "not_found", _("No API operation at this address."))


@csrf_exempt
def api_root(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """/api/v1/ itself: no operation; the same JSON 404 (the docs are at /api/v1/docs)."""
    return api_not_found(request)
