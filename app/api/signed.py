"""Signature guard and the API's error shape ``{"errors": [{"field", "message"}]}``.

The guard runs before the body is parsed, so an unsigned or badly signed
request never reaches validation, let alone the database.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import ResponseSpec
from sqlalchemy.orm.exc import StaleDataError

from app.services.inbound import Signed
from sync.contract import ContractError, ErrorsOut, FieldError
from sync.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadSignature, verify

STATE_KEY = "oms_signed"


async def signed_by_oms(connection: ASGIConnection[Any, Any, Any, Any],
                        _: BaseRouteHandler) -> None:
    """Accept only requests signed with the OMS secret within the clock-skew window.

    Raises ContractError(401) naming the header at fault.
    """
    state = connection.app.state
    settings = state.settings
    body = await Request(connection.scope, connection.receive).body()
    now = state.clock()
    try:
        verify(settings.oms_shared_secret, timestamp=connection.headers.get(TIMESTAMP_HEADER),
               sig=connection.headers.get(SIGNATURE_HEADER), body=body, now=now.timestamp(),
               max_skew=settings.oms_max_skew_seconds)
    except BadSignature as bad:
        raise ContractError([FieldError(bad.field, bad.message)], 401) from None
    connection.scope["state"][STATE_KEY] = Signed(
        signature=connection.headers[SIGNATURE_HEADER], now=now,
        window_seconds=settings.oms_max_skew_seconds)


def signed(request: Request[Any, Any, Any]) -> Signed:
    value: Signed = request.scope["state"][STATE_KEY]
    return value


def _errors(status: int, errors: list[FieldError]) -> Response[Any]:
    return Response({"errors": [{"field": e.field, "message": e.message} for e in errors]},
                    status_code=status)


def contract_error(_: Request[Any, Any, Any], exc: ContractError) -> Response[Any]:
    return _errors(exc.status, exc.errors)


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    found = [FieldError(str(e.get("key") or "body"), str(e.get("message", "invalid")))
             for e in extra if isinstance(e, dict)]
    return _errors(422, found or [FieldError("body", str(exc.detail))])


def client_error(_: Request[Any, Any, Any], exc: ClientException) -> Response[Any]:
    return _errors(exc.status_code, [FieldError("body", str(exc.detail))])


def stale_order(_: Request[Any, Any, Any], exc: StaleDataError) -> Response[Any]:
    return _errors(409, [FieldError("oms_id", "the order changed meanwhile: send it again")])


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ContractError: contract_error, ValidationException: validation_error,
    ClientException: client_error, StaleDataError: stale_order,
}

_ERROR_DOC = {
    401: "bad or missing signature, or a timestamp outside the clock-skew window",
    404: "unknown store (or order, for a cancellation)",
    409: "replayed request, or a change the order can no longer take",
    422: "invalid payload; each error names the field, e.g. lines[2].quantity",
}
ERROR_RESPONSES = {status: ResponseSpec(data_container=ErrorsOut, description=text)
                   for status, text in _ERROR_DOC.items()}
