"""Shelf photos on substitute proposals: the picker shows the customer what is on offer.

The photo arrives already shrunk and stripped of metadata (``app.proof_photo``,
the delivery proofs' cleaner) and is written under the data folder only after
the order, the store and the proposal were checked; the row that points at it
is written in one transaction, replacing an earlier photo of the same proposal.
"""

from __future__ import annotations

from datetime import datetime

from app.services.picking import load_order
from app.services.ports import OosReader, OosUnitOfWork, PickingUnitOfWork
from app.services.substitutions import customer_view
from app.staff import StaffUser
from picking import errors
from picking.model import Order
from picking.substitution import Proposal

PHOTO_MESSAGE_TYPE = "SubstitutePhotoAdded"  # live pages re-render the offers on it


async def check_target(uow: PickingUnitOfWork, picker: StaffUser, order_id: int, ref: str,
                       now: datetime) -> None:
    """May ``picker`` add a photo to proposal ``ref`` now? Raises OrderNotFound (also
    for another store's order), ProposalNotFound and ProposalClosed (decided or
    past its window: the customer has no use for a photo any more)."""
    async with uow:
        _open_proposal(await load_order(uow, picker, order_id), ref, now)


async def attach(uow: OosUnitOfWork, picker: StaffUser, order_id: int, ref: str, *, path: str,
                 size: int, now: datetime) -> str | None:
    """Point proposal ``ref`` at the stored photo ``path``. Returns the path of the
    photo it replaces (for the caller to delete), or None. Raises as ``check_target``."""
    async with uow:
        proposal = _open_proposal(await load_order(uow, picker, order_id), ref, now)
        old = await uow.proposal_photos.replace(proposal, path=path, size=size, at=now,
                                                staff_id=picker.id)
        await uow.commit()
        return old


def _open_proposal(order: Order, ref: str, now: datetime) -> Proposal:
    proposal = order.proposal(ref)
    if not proposal.is_pending or proposal.is_due(now):
        raise errors.ProposalClosed(proposal=ref, status=proposal.status_at(now))
    return proposal


async def photo_for_customer(uow: OosReader, token: str, ref: str) -> str:
    """The stored path of proposal ``ref``'s photo, if the link opens its order.
    Raises LinkNotFound for an unknown link, another order's proposal or no photo,
    and LinkExpired once the order is handed over (as the page does)."""
    order = await customer_view(uow, token)
    path = await uow.proposal_photos.path_for(order.id or 0, ref)
    if path is None:
        raise errors.LinkNotFound()
    return path
