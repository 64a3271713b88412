"""Packing and handover errors as sentences staff and couriers act on at once."""

from __future__ import annotations

from app.i18n import gettext as _
from app.web.labels import label
from app.web.messages import Feedback, describe
from picking import errors
from picking import handover_facts as facts


def _bag_list(missing: list[dict[str, object]]) -> str:
    return ", ".join(_("bag %(k)s of %(n)s (%(zone)s)", k=b["number"], n=b["count"],
                       zone=label(str(b["zone"]))) for b in missing)


def describe_handover(err: errors.PickingError) -> Feedback:
    """The message for a packing/handover error; other errors go to ``describe``."""
    p = err.params
    match err:
        case facts.BagsMissing():
            return Feedback("error", _("Not all bags are scanned. Missing: %(bags)s.",
                                       bags=_bag_list(p["missing"])))
        case facts.BagFromAnotherOrder():
            return Feedback("error", _("This bag belongs to order %(other)s, not %(order)s. "
                                       "Put it back.", other=p["bag_order"], order=p["order"]))
        case facts.UnknownBag():
            return Feedback("error", _("This order has no bag %(k)s of %(n)s: the label is old "
                                       "or was reprinted.", k=p["number"], n=p["count"]))
        case facts.BadBag():
            return Feedback("error", _("This is not a bag label: scan the QR code on the bag."),
                            str(p.get("raw", "")))
        case facts.InvalidPacking() if p.get("reason") == "place":
            return Feedback("error", _("Say where the %(zone)s bags are staged.",
                                       zone=label(p["zone"])))
        case facts.InvalidPacking():
            return Feedback("error", _("Check the bags for %(zone)s: every zone with goods needs "
                                       "1 to 20 bags, a zone without goods none.",
                                       zone=label(p["zone"])))
        case facts.IdCheckRequired():
            return Feedback("error", _("This order has 18+ items: check the customer's ID and "
                                       "tick the box."))
        case facts.InvalidRefusal():
            return Feedback("error", _("Choose a reason and a quantity the customer still has."))
        case facts.PickupCodeNotChecked():
            return Feedback("error", _("Enter the customer's pickup code first."))
        case facts.WrongPickupCode():
            return Feedback("error", _("Wrong pickup code. %(left)s tries left.",
                                       left=max(int(p.get("left", 0)), 0)))
        case facts.TooManyPickupAttempts():
            return Feedback("error", _("Too many wrong codes. Try again in %(minutes)s minutes.",
                                       minutes=p["minutes"]))
        case facts.NotYourDelivery():
            return Feedback("error", _("This delivery belongs to another courier."))
        case facts.WrongHandoverStep():
            return Feedback("error", _("Order %(order)s is %(status)s: this step is not possible "
                                       "now.", order=p["order"], status=label(p["status"])))
    return describe(err)


def status_for_handover(err: errors.PickingError) -> int:
    if isinstance(err, errors.OrderNotFound):
        return 404
    if isinstance(err, facts.TooManyPickupAttempts):
        return 429
    if isinstance(err, facts.WrongHandoverStep | facts.NotYourDelivery):
        return 409
    return 422


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
