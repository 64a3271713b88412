"""Display names for stored keys (zones, short reasons, statuses), translated on use."""

from __future__ import annotations

from app.i18n import gettext


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Marks a string for extraction without translating it yet."""
    return message


LABELS = {
    "ambient": N_("ambient"),
    "chilled": N_("chilled"),
    "frozen": N_("frozen"),
    "not_found": N_("Not on the shelf"),
    "out_of_stock": N_("Out of stock"),
    "damaged": N_("Damaged"),
    "expired": N_("Expired"),
    "other": N_("Other reason"),
    "received": N_("Received"),
    "queued": N_("Queued"),
    "picking": N_("Picking"),
    "picked": N_("Picked"),
    "packed": N_("Packed"),
    "handed_over": N_("Handed over"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
    "delivery_failed": N_("Delivery failed"),
    "substituted": N_("Substituted"),  # a line's state
}
# Lines shorted when the marking re-check before handover refused a packed unit.
LABELS.update({f"marking_{status}": text for status, text in (
    ("blocked", N_("Marking: blocked for sale")), ("sold", N_("Marking: already sold")),
    ("unknown", N_("Marking: unknown code")), ("invalid", N_("Marking: bad code")),
    ("expired", N_("Marking: expired")), ("not_realizable", N_("Marking: not released")),
    ("not_owner", N_("Marking: not our store's")))})


def label(key: str | None) -> str:
    """The translated display name for ``key``; unknown keys are shown as they are."""
    if key is None:
        return ""
    return gettext(LABELS[key]) if key in LABELS else key
