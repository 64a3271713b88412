"""Packing and handover errors as sentences staff and couriers act on at once."""

from __future__ import annotations

from app.i18n import gettext as _
from app.web.messages import Feedback, describe, status_for
from picking import errors


def describe_handover(err: errors.PickingError) -> Feedback:
    """The message for a packing/handover error (the one error table, as ``describe``)."""
    return describe(err)


def status_for_handover(err: errors.PickingError) -> int:
    return status_for(err)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return message


REASONS = {
    "substitute": N_("Does not want the substitute"),
    "damaged": N_("Damaged"),
    "expired": N_("Expired or not fresh"),
    "unwanted": N_("Changed their mind"),
    "other": N_("Other reason"),
    "customer_absent": N_("Customer absent"),
    "wrong_address": N_("Wrong address"),
    "refused": N_("Customer refused the order"),
}


def reason_label(key: str | None) -> str:
    """The translated name of a refusal or failure reason."""
    return _(REASONS[key]) if key in REASONS else (key or "")
