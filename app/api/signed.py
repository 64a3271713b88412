"""Signature guard and the API's error shape ``{"errors": [{"field", "message"}]}``.

The guard runs before the body is parsed, so an unsigned or badly signed
request never reaches validation, let alone the database.
"""

from __future__ import annotations

import logging
import re
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import ResponseSpec
from sqlalchemy.orm.exc import StaleDataError

from app.db.uow import UnitOfWork
from app.services.inbound import Signed, remember_signature
from sync.contract import (
    MAX_DEPTH,
    ContractError,
    ErrorsOut,
    FieldError,
    parse_errors,
    plain_message,
)
from sync.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSignature,
    request_target,
    verify_request,
)

STATE_KEY = "oms_signed"


T = TypeVar("T")
LEGACY_KEY = "oms_legacy_signature"
BODY_KEY = "oms_body"
SAFE_METHODS = frozenset({"GET", "HEAD"})
log = logging.getLogger("storepick.api")


async def signed_by_oms(connection: ASGIConnection[Any, Any, Any, Any],
                        _: BaseRouteHandler) -> None:
    """Accept only requests signed with the OMS secret over method, path and body,
    within the clock-skew window, and never the same signature twice.

    The signature of a changing request is remembered (in the database, its own
    transaction) before anything else is looked at, so a request refused for any
    reason cannot be sent again either. Raises ContractError: 401 naming the
    header at fault, 409 for a replay.
    """
    state = connection.app.state
    settings = state.settings
    body = await Request(connection.scope, connection.receive).body()
    now = state.clock()
    until = settings.oms_legacy_signatures_until
    scope: Any = connection.scope  # an HTTP scope: the route is an HTTP one
    target = request_target(scope.get("raw_path") or quote(scope["path"]).encode(),
                            scope.get("query_string", b""))
    try:
        _sent_at, legacy = verify_request(
            settings.oms_shared_secret, timestamp=connection.headers.get(TIMESTAMP_HEADER),
            sig=connection.headers.get(SIGNATURE_HEADER), method=scope["method"],
            target=target, body=body, now=now.timestamp(),
            max_skew=settings.oms_max_skew_seconds,
            accept_legacy=until is not None and now.date() < until)
    except BadSignature as bad:
        raise ContractError([FieldError(bad.field, bad.message)], 401) from None
    signed_facts = Signed(signature=connection.headers[SIGNATURE_HEADER], now=now,
                          window_seconds=settings.oms_max_skew_seconds)
    if legacy:
        log.warning("OMS request %s %s signed the old way (sha256=, body only): accepted "
                    "until %s", scope["method"], scope["path"], until)
        scope["state"][LEGACY_KEY] = True
    if scope["method"] not in SAFE_METHODS:
        await remember_signature(UnitOfWork(state.db), signed_facts)
    scope["state"][STATE_KEY] = signed_facts
    scope["state"][BODY_KEY] = body
    if too_deep(body):
        raise ContractError([FieldError("body", f"nested deeper than {MAX_DEPTH} levels")], 422)


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SAME_BRACKETS = bytes.maketrans(b"{}", b"[]")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Does the JSON ``body`` nest arrays and objects more than ``limit`` deep? (Brackets
    inside strings do not count.) The parser recurses per level, so this is read before
    it runs, at C speed: each pass deletes every innermost pair, so ``limit`` passes
    leave nothing of a body no deeper than ``limit``. What is left of a malformed body
    is for the parser to refuse."""
    brackets = _STRING.sub(b"", body).translate(_SAME_BRACKETS, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets:
        return True  # that many opened in a row: deeper, balanced or not
    if brackets.count(b"[") != brackets.count(b"]"):
        return False  # malformed: the parser says so
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets) and brackets.startswith(b"[")


def answer(request: Request[Any, Any, Any], data: T) -> Response[T]:
    """``data`` as the 200 answer; an old-style signature is told it is on borrowed
    time (``Deprecation: true``, as the IETF draft had it; ``Sunset``, RFC 8594)."""
    headers = {}
    if request.scope["state"].get(LEGACY_KEY):
        until = request.app.state.settings.oms_legacy_signatures_until
        headers["Deprecation"] = "true"
        if until is not None:
            headers["Sunset"] = until.strftime("%a, %d %b %Y 00:00:00 GMT")
    return Response(data, headers=headers)


def signed(request: Request[Any, Any, Any]) -> Signed:
    value: Signed = request.scope["state"][STATE_KEY]
    return value


def _errors(status: int, errors: list[FieldError]) -> Response[Any]:
    return Response({"errors": [{"field": e.field, "message": e.message} for e in errors]},
                    status_code=status)


def contract_error(_: Request[Any, Any, Any], exc: ContractError) -> Response[Any]:
    return _errors(exc.status, exc.errors)


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """422 naming every field at fault: the parser stops at the first, so a body that
    failed it is walked field by field against its contract type."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    found = [FieldError(str(e.get("key") or "body")[:200],
                        plain_message(str(e.get("message", "invalid"))))
             for e in extra if isinstance(e, dict)]
    body_type = BODY_TYPES.get(request.route_handler.handler_name)
    if body_type is not None and any(e.get("source") == "body" for e in extra
                                     if isinstance(e, dict)):
        try:
            raw = msgspec.json.decode(request.scope["state"].get(BODY_KEY, b""))
        except msgspec.DecodeError:
            raw = None
        walked = parse_errors(body_type, raw) if raw is not None else []
        if walked:
            found = [e for e in found if not _same_source_body(e, extra)] + walked
    return _errors(422, found or [FieldError("body", plain_message(str(exc.detail)))])


def _same_source_body(error: FieldError, extra: list[Any]) -> bool:
    return any(isinstance(e, dict) and e.get("source") == "body"
               and str(e.get("key") or "body")[:200] == error.field for e in extra)


BODY_TYPES: dict[str, type[Any]] = {}
"""Handler name -> its body's contract type (filled by app.api.v1)."""


def client_error(_: Request[Any, Any, Any], exc: ClientException) -> Response[Any]:
    return _errors(exc.status_code, [FieldError("body", str(exc.detail))])


def stale_order(_: Request[Any, Any, Any], exc: StaleDataError) -> Response[Any]:
    return _errors(409, [FieldError("oms_id", "the order changed meanwhile: send it again")])


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unforeseen: logged whole, answered without a word of it (no SQL, no
    driver message). The transaction was rolled back, so nothing was written."""
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return _errors(exc.status_code, [FieldError("body", plain_message(str(exc.detail)))])
    log.exception("OMS API %s %s failed", request.method, request.url.path, exc_info=exc)
    return _errors(500, [FieldError("body", "the store could not apply this request; "
                                            "nothing was written")])


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ContractError: contract_error, ValidationException: validation_error,
    ClientException: client_error, StaleDataError: stale_order, Exception: server_error,
}

_ERROR_DOC = {
    401: "bad or missing signature, or a timestamp outside the clock-skew window",
    404: "unknown store (or order, for a cancellation)",
    409: "replayed request, or a change the order can no longer take",
    422: "invalid payload; each error names the field, e.g. lines[2].quantity",
}
ERROR_RESPONSES = {status: ResponseSpec(data_container=ErrorsOut, description=text)
                   for status, text in _ERROR_DOC.items()}
