"""Shelf photos on substitute proposals: the picker shows the customer what is on offer.

The photo arrives already shrunk and stripped of metadata (``app.proof_photo``,
the delivery proofs' cleaner) and is written under the data folder only after
the order, the store and the proposal were checked; the row that points at it
is written in one transaction, replacing an earlier photo of the same proposal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables_substitutions import substitution_proposals
from app.db.tables_trust import proposal_photos
from app.db.uow import UnitOfWork
from app.services.picking import load_order
from app.services.substitutions import customer_view
from app.staff import StaffUser
from picking import errors
from picking.model import Order
from picking.substitution import Proposal

PHOTO_MESSAGE_TYPE = "SubstitutePhotoAdded"  # live pages re-render the offers on it


async def check_target(uow: UnitOfWork, picker: StaffUser, order_id: int, ref: str,
                       now: datetime) -> None:
    """May ``picker`` add a photo to proposal ``ref`` now? Raises OrderNotFound (also
    for another store's order), ProposalNotFound and ProposalClosed (decided or
    past its window: the customer has no use for a photo any more)."""
    async with uow:
        _open_proposal(await load_order(uow, picker, order_id), ref, now)


async def attach(uow: UnitOfWork, picker: StaffUser, order_id: int, ref: str, *, path: str,
                 size: int, now: datetime) -> str | None:
    """Point proposal ``ref`` at the stored photo ``path``. Returns the path of the
    photo it replaces (for the caller to delete), or None. Raises as ``check_target``."""
    async with uow:
        proposal = _open_proposal(await load_order(uow, picker, order_id), ref, now)
        pp = proposal_photos.c
        old = await uow.session.scalar(select(pp.path).where(pp.proposal_id == proposal.id))
        await uow.session.execute(delete(proposal_photos).where(pp.proposal_id == proposal.id))
        await uow.session.execute(insert(proposal_photos).values(
            proposal_id=proposal.id, path=path, bytes=size, taken_at=now, staff_id=picker.id))
        await uow.commit()
        return old


def _open_proposal(order: Order, ref: str, now: datetime) -> Proposal:
    proposal = order.proposal(ref)
    if not proposal.is_pending or proposal.is_due(now):
        raise errors.ProposalClosed(proposal=ref, status=proposal.status_at(now))
    return proposal


async def photo_refs(session: AsyncSession, order_id: int) -> set[str]:
    """The refs of the order's proposals that have a shelf photo."""
    sp, pp = substitution_proposals.c, proposal_photos.c
    rows = await session.scalars(select(sp.ref).join(proposal_photos, pp.proposal_id == sp.id)
                                 .where(sp.order_id == order_id))
    return set(rows.all())


async def photo_for_customer(session: AsyncSession, token: str, ref: str) -> str:
    """The stored path of proposal ``ref``'s photo, if the link opens its order.
    Raises LinkNotFound for an unknown link, another order's proposal or no photo,
    and LinkExpired once the order is handed over (as the page does)."""
    order = await customer_view(session, token)
    sp, pp = substitution_proposals.c, proposal_photos.c
    path = await session.scalar(
        select(pp.path).join(substitution_proposals, sp.id == pp.proposal_id)
        .where(sp.ref == ref, sp.order_id == order.id))
    if path is None:
        raise errors.LinkNotFound()
    return str(path)
