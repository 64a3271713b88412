"""Shelf photos on proposals: the picker attaches one, the customer sees it.

``POST /pick/{order}/proposals/{ref}/photo`` (multipart field ``photo``) checks the
order, the store and that the proposal is still open before anything is decoded;
the photo is shrunk and stripped of metadata like a delivery proof
(``app.proof_photo``), stored, and the customer's page is told. ``GET
/c/{token}/p/{ref}/photo`` serves it to the holder of the order's link only.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Response, Template

from app.auth import requires_area
from app.db.repo_oos import reads
from app.i18n import gettext as _
from app.proof_photo import (
    MAX_PROOF_BYTES,
    ProofRejected,
    clean_photo_async,
    read_proof,
    remove_proof,
    store_proof,
)
from app.services import proposal_photos as service
from app.web.courier import PHOTO_MESSAGES
from app.web.customer import _too_many
from app.web.deps import clock, new_uow, reading
from app.web.messages import Feedback, describe, status_for
from app.web.render import render
from app.web.substitutes import choose_page
from picking import errors
from picking.substitution import ProposalClosed

Req = Request[Any, Any, Any]


class ProposalPhotoController(Controller):
    path = "/pick"
    guards = [requires_area("pick")]

    @post("/{order_id:int}/lines/{line_id:int}/proposals/{ref:str}/photo",
          name="subs:proposal_photo", request_max_body_size=MAX_PROOF_BYTES + 256 * 1024)
    async def attach(self, request: Req, order_id: FromPath[int], line_id: FromPath[int],
                     ref: FromPath[str]) -> Response[Any]:
        """Attach a shelf photo to an open proposal; back to the line when done."""
        try:
            form = await request.form()
        except HTTPException as exc:
            if exc.status_code != 413:
                raise
            return await _refused(request, order_id, line_id, ProofRejected(413, "too_large"))
        upload = form.get("photo")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _refused(request, order_id, line_id, ProofRejected(422, "not_an_image"))
        try:
            await attach_photo(request, order_id, ref, await upload.read())
        except ProofRejected as rejected:
            return await _refused(request, order_id, line_id, rejected)
        except errors.PickingError as err:
            return await choose_page(request, order_id, line_id, describe(err), status_for(err))
        await request.app.state.publish([{"store_id": request.user.store_id, "order_id": order_id,
                                          "type": service.PHOTO_MESSAGE_TYPE}])
        return await choose_page(request, order_id, line_id, Feedback(
            "ok", _("Photo sent: the customer sees it beside the offer.")))


async def attach_photo(request: Req, order_id: int, ref: str, data: bytes) -> None:
    """Check, clean, store, point the proposal at it; no file is left behind on failure.
    Raises ProofRejected and the errors of ``service.attach``."""
    data_dir, now = request.app.state.settings.data_dir, clock(request)
    await service.check_target(new_uow(request), request.user, order_id, ref, now)
    cleaned = await clean_photo_async(data)
    path = await store_proof(cleaned, data_dir, order_id)
    try:
        old = await service.attach(new_uow(request), request.user, order_id, ref, path=path,
                                   size=len(cleaned), now=clock(request))
    except BaseException:
        await remove_proof(data_dir, path)
        raise
    if old is not None:
        await remove_proof(data_dir, old)


async def _refused(request: Req, order_id: int, line_id: int,
                   rejected: ProofRejected) -> Template:
    text = _(PHOTO_MESSAGES[rejected.problem], mb=MAX_PROOF_BYTES // 2**20)
    return await choose_page(request, order_id, line_id, Feedback("error", text),
                             rejected.status)


@get("/c/{token:str}/p/{ref:str}/photo", name="customer:proposal_photo")
async def customer_photo(request: Req, token: FromPath[str], ref: FromPath[str]
                         ) -> Response[Any]:
    """The shelf photo of one proposal of the link's order; 404 for anything else."""
    limited = await _too_many(request, token)
    if limited is not None:
        return limited
    try:
        async with reading(request) as session:
            path = await service.photo_for_customer(reads(session), token, ref)
    except (errors.LinkNotFound, errors.LinkExpired, ProposalClosed) as err:
        return render(request, "customer/link_error.html", {"feedback": describe(err)},
                      status_code=status_for(err))
    data = await read_proof(request.app.state.settings.data_dir, path)
    return Response(data, media_type="image/jpeg", headers={
        "Cache-Control": "private, max-age=3600", "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex"})
