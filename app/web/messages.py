"""Domain errors as sentences a picker understands at a glance, in their language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import i18n
from app.i18n import gettext as _
from app.web.labels import N_
from picking import errors


@dataclass(frozen=True)
class Feedback:
    kind: str  # "ok" | "warn" | "error"
    text: str
    detail: str = ""


_BAD_CODE_REASONS = {
    "empty": N_("Nothing was scanned."),
    "bad_check_digit": N_("The check digit is wrong: scan again or type the code carefully."),
    "not_a_barcode": N_("This is not a product barcode."),
    "bad_gs1": N_("The GS1 code could not be read: scan again."),
    "too_long": N_("This is not a product barcode."),
    "keyboard_layout": N_("The scanner typed this code in the Russian keyboard layout: switch the "
                          "scanner's keyboard layout to English and scan again."),
}


def _name(params: dict[str, Any]) -> str:
    if i18n.current_language() == "en":
        return str(params.get("name_en") or params.get("product", ""))
    return str(params.get("name_ru") or params.get("product", ""))


def _grams(value: Any) -> str:
    return i18n.weight(int(value))


def describe(err: errors.PickingError) -> Feedback:
    """The message for a domain error. Unknown kinds get a generic sentence."""
    p = err.params
    name = _name(p)
    match err:
        case errors.BadCode():
            reason = _BAD_CODE_REASONS.get(str(p.get("reason")), "This is not a product barcode.")
            return Feedback("error", _(reason), str(p.get("raw", "")))
        case errors.UnknownCode():
            return Feedback("error", _("Unknown code: no product in this store has it."),
                            str(p.get("code", "")))
        case errors.WrongItemScanned():
            return Feedback("error", _("Wrong item: %(name)s is not on this order.", name=name))
        case errors.TooManyScanned():
            return Feedback("error", _(
                "Too many: %(name)s — ordered %(ordered)s, already %(picked)s.",
                name=name, ordered=p["ordered"], picked=p["picked"]))
        case errors.LineAlreadyDone():
            return Feedback("error", _("%(name)s is already done.", name=name))
        case errors.MarkingCodeRequired():
            return Feedback("error", _("%(name)s is marked goods: scan the DataMatrix code on the "
                                       "pack.", name=name))
        case errors.DuplicateMarkingCode():
            return Feedback("error", _("This DataMatrix code was already scanned: every pack has "
                                       "its own code."))
        case errors.WeightRequired():
            return Feedback("warn", _("%(name)s is sold by weight: scan the scale label or type "
                                      "the weight.", name=name))
        case errors.AbsurdWeight():
            return Feedback("error", _("A weight of %(weight)s is not plausible.",
                                       weight=_grams(p.get("weight_g", 0))))
        case errors.WeightNeedsConfirmation():
            return Feedback("warn", _("%(total)s is more than %(pct)s%% off the %(ordered)s "
                                      "ordered: confirm to keep it.",
                                      total=_grams(p["total_g"]), pct=p["soft_pct"],
                                      ordered=_grams(p["ordered_g"])))
        case errors.WeightOutsideTolerance():
            return Feedback("error", _("%(total)s is too far from the %(ordered)s ordered.",
                                       total=_grams(p["total_g"]), ordered=_grams(p["ordered_g"])))
        case errors.NothingToUndo():
            return Feedback("warn", _("Nothing to undo."))
        case errors.OrderCancelled():
            return Feedback("error", _("This order was cancelled. Stop picking and put the items "
                                       "back."))
        case errors.OrderNotPickable():
            return Feedback("error", _("This order can no longer be changed."))
        case errors.NotYourOrder():
            return Feedback("error", _("This order belongs to another picker."))
        case errors.LinesStillOpen():
            return Feedback("warn", i18n.ngettext(
                "%(num)s line is still open: pick it or mark it short.",
                "%(num)s lines are still open: pick them or mark them short.", p["count"]))
        case errors.NoOrderWaiting():
            return Feedback("ok", _("No orders are waiting right now."))
        case errors.InvalidQuantity():
            return Feedback("error", _("The quantity must be a whole number from 1 to 999."))
        case errors.OrderNotFound():
            return Feedback("error", _("Order not found."))
    return Feedback("error", _("That did not work. Nothing was changed."))


def status_for(err: errors.PickingError) -> int:
    if isinstance(err, errors.OrderNotFound):
        return 404
    if isinstance(err, errors.NotYourOrder | errors.OrderNotPickable):
        return 409
    return 422
