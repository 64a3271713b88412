"""The photo fallback: a picker photographs a barcode the live camera cannot read.

(The substitute page has the same button: ``POST .../substitute/photo`` decodes the
same way and offers the first code that is an acceptable substitute.)

``POST /pick/{order_id}/photo`` takes a multipart upload (field ``photo``), decodes it
on the server and sends each symbol found through the normal scan path, so a photo
counts exactly like a scan. A photo holds several codes (or misreads: see STACK.md
"Barcodes"), so the first symbol that fits a line on the order wins; codes that fit no
line ask for a retake instead of declaring a wrong item.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable
from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import Template

from app.auth import requires_area
from app.i18n import gettext as _
from app.photo_decode import (
    MAX_PHOTO_BYTES,
    DecodedSymbol,
    PhotoRejected,
    Why,
    read_photo_async,
)
from app.services import picking as service
from app.services import supervision
from app.web.deps import clock, marking_checker, new_uow
from app.web.messages import Feedback, describe, status_for
from app.web.picker import _after_action, _amount, _pick_page, _scan_failed
from app.web.render import redirect, render
from app.web.substitutes import choose_page, propose_from_request
from picking import errors

Req = Request[Any, Any, Any]

MAX_UPLOAD_BYTES = MAX_PHOTO_BYTES + 256 * 1024
"""The photo limit plus room for the multipart envelope and the CSRF field."""

# A code the order cannot place: most likely a misread or a neighbouring label.
_MISREAD = (errors.BadCode, errors.UnknownCode, errors.WrongItemScanned)


def _rejection_text(err: PhotoRejected) -> str:
    if err.status == 413:
        return _("The photo is too large. Take it again with the phone's camera.")
    return _("That file is not a photo. Take a photo of the barcode.")


def _unread_text(problem: Why | None) -> str:
    """Why the photo gave no code, and how to take the next one."""
    if problem == "blurred":
        return _("The barcode in the photo is too blurred to read. Hold the phone steady, "
                 "a little closer, and take the photo again.")
    if problem == "dark":
        return _("The photo is too dark to read the barcode. Turn on more light or the "
                 "flash, and take the photo again.")
    return _("No barcode found in the photo. Take it again closer, with more light.")


def _too_large(request: Req, exc: Exception) -> Template:
    """The body limit tripped before the upload was read (exception handlers are sync,
    so no order is loaded): the banner for htmx, a short page for a plain post."""
    feedback = Feedback("error", _rejection_text(PhotoRejected(413, "too_large", str(exc))))
    return render(request, "error.html", {"feedback": feedback, "feedback_id": _nonce()},
                  fragment="picking/_scan_feedback.html", status_code=413)


def _nonce() -> str:
    return secrets.token_hex(4)


@post("/pick/{order_id:int}/photo", name="pick:photo",
      guards=[requires_area("pick")],
      request_max_body_size=MAX_UPLOAD_BYTES,
      exception_handlers={RequestEntityTooLarge: _too_large})
async def scan_photo(request: Req, order_id: FromPath[int]) -> Response[Any]:
    """Decode the uploaded photo and count the first code that fits the order.

    Answers like a scan when a code counts; 422 with a retake message when nothing
    was read or nothing read fits the order; 413 / 422 when the upload is too large
    or not a photo; a domain error (too many, already done...) as the scan would.
    """
    data = await _photo_bytes(request)
    try:
        reading = await read_photo_async(data)
    except PhotoRejected as err:
        return await _pick_page(request, order_id, Feedback("error", _rejection_text(err)),
                                err.status, fragment=True)
    symbols = reading.symbols
    if not symbols:
        return await _retake(request, order_id, _unread_text(reading.problem))
    return await _count_first_fitting(request, order_id, symbols, _photo_id(order_id, data))


async def _photo_bytes(request: Req) -> bytes:
    """The uploaded file's bytes; empty when the form carries no file."""
    form = await request.form()
    upload = form.get("photo")
    if isinstance(upload, UploadFile):
        return await upload.read()
    return b""


def _photo_id(order_id: int, data: bytes) -> str:
    """Scan ids derived from the photo: a resent upload is not counted twice."""
    return "ph" + hashlib.sha256(order_id.to_bytes(8, "big") + data).hexdigest()[:24]


async def _count_first_fitting(request: Req, order_id: int, symbols: list[DecodedSymbol],
                               photo_id: str) -> Response[Any]:
    """Try each symbol through ``service.scan``; the first that counts answers."""
    order_error: errors.PickingError | None = None
    for index, symbol in enumerate(symbols):
        try:
            outcome = await service.scan(
                new_uow(request), request.user, order_id, symbol.text,
                scan_id=f"{photo_id}-{index}", now=clock(request), count_error=False,
                marking=marking_checker(request))
        except _MISREAD:
            continue
        except errors.PickingError as err:
            order_error = order_error or err
            continue
        line = outcome.line
        text = _("%(name)s: %(picked)s of %(ordered)s",
                 name=line.product.name(request.user.language),
                 picked=_amount(line, line.picked_quantity), ordered=_amount(line, line.quantity))
        return await _after_action(request, order_id, Feedback("ok", text), line=line)
    if order_error is not None:
        await supervision.record_refused_scan(new_uow(request), request.user, order_id,
                                              symbols[0].text, order_error, clock(request))
        return await _scan_failed(request, order_id, order_error, "")
    return await _retake(request, order_id, _(
        "The barcode in the photo does not match this order. Take the photo again, "
        "with only this item's barcode in the frame."))


async def _retake(request: Req, order_id: int, text: str) -> Response[Any]:
    return await _pick_page(request, order_id, Feedback("warn", text), 422, fragment=True)


# -- the substitute page: a photo of the substitute offers it ------------------------

def _substitute_too_large(request: Req, exc: Exception) -> Template:
    feedback = Feedback("error", _rejection_text(PhotoRejected(413, "too_large", str(exc))))
    return render(request, "error.html", {"feedback": feedback, "feedback_id": _nonce()},
                  fragment="substitutes/_choose_feedback.html", status_code=413)


@post("/pick/{order_id:int}/lines/{line_id:int}/substitute/photo", name="subs:photo",
      guards=[requires_area("pick")],
      request_max_body_size=MAX_UPLOAD_BYTES,
      exception_handlers={RequestEntityTooLarge: _substitute_too_large})
async def propose_photo(request: Req, order_id: FromPath[int], line_id: FromPath[int]
                        ) -> Response[Any]:
    """Decode the photo and offer the first code that is an acceptable substitute.

    Like the scan field of the substitute page: a marked product needs its
    DataMatrix in the photo. On success the picker goes back to the pick list;
    otherwise the substitute page says why (retake, or the refusal of the code).
    """
    def again(text: str, status: int = 422) -> Awaitable[Template]:
        return choose_page(request, order_id, line_id, Feedback("warn", text), status,
                           fragment=True)

    data = await _photo_bytes(request)
    try:
        reading = await read_photo_async(data)
    except PhotoRejected as err:
        return await choose_page(request, order_id, line_id,
                                 Feedback("error", _rejection_text(err)), err.status,
                                 fragment=True)
    symbols = reading.symbols
    if not symbols:
        return await again(_unread_text(reading.problem))
    refusal: errors.PickingError | None = None
    for symbol in symbols:
        try:
            await propose_from_request(request, order_id, line_id, symbol.text)
        except _MISREAD:
            continue
        except errors.PickingError as err:
            refusal = refusal or err
            continue
        target = request.app.route_reverse("pick:order", order_id=order_id)
        return redirect(request, f"{target}#line-{line_id}")
    if refusal is not None:
        return await choose_page(request, order_id, line_id, describe(refusal),
                                 status_for(refusal), fragment=True)
    return await again(_("No product of this store was found in the photo. Take it again, "
                         "with only the substitute's barcode in the frame."))
