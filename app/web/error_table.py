"""Every domain error's kind, sentence and HTTP status: the one table.

``ERRORS`` maps each ``PickingError`` class (all defined in ``picking.errors``)
to an ``Entry``: the kind of feedback (ok / warn / error), the sentence a
person reads (a function of the error's params, translated when called), an
optional detail line, and the HTTP status of the answer. A few errors read
differently on the supervisor's board (``supervisor``). ``lookup`` walks the
class's MRO, so an error class without its own entry gets its parent's words;
a test fails when a ``PickingError`` subclass has no entry of its own.

``app.web.messages.describe`` / ``status_for`` (and the handover and
substitution wrappers, and the app-wide handler) all read this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from app import i18n
from app.i18n import gettext as _
from app.i18n import ngettext
from app.web.labels import N_, label
from app.web.marking_words import (
    refusal_sentence,
    returned_unit_sentence,
    stale_sentence,
    withdrawn_sentence,
)
from app.web.trust_labels import attribute_list
from picking import errors
from picking.lines import name_in
from picking.runs import short_tote

Params = dict[str, Any]
Sentence = Callable[[Params], str]
Audience = Literal["picker", "supervisor"]


@dataclass(frozen=True)
class Entry:
    kind: str  # "ok" | "warn" | "error"
    sentence: Sentence
    status: int
    detail: Sentence | None = None
    supervisor: Sentence | None = None  # the board's wording, where it differs

    def words(self, params: Params, audience: Audience = "picker") -> tuple[str, str, str]:
        """``(kind, sentence, detail)`` for an error with these params."""
        say = self.supervisor if audience == "supervisor" and self.supervisor else self.sentence
        return self.kind, say(params), self.detail(params) if self.detail else ""


# -- helpers the sentences share ---------------------------------------------------

def _name(p: Params) -> str:
    """The product's name in the reader's language (its SKU when it has none)."""
    return name_in(p, i18n.current_language())


def _grams(value: Any) -> str:
    return i18n.weight(int(value))


def _bag_list(missing: list[dict[str, object]]) -> str:
    return ", ".join(_("bag %(k)s of %(n)s (%(zone)s)", k=b["number"], n=b["count"],
                       zone=label(str(b["zone"]))) for b in missing)


def _generic(p: Params) -> str:
    return _("That did not work. Nothing was changed.")


_BAD_CODE_REASONS = {
    "empty": N_("Nothing was scanned."),
    "bad_check_digit": N_("The check digit is wrong: scan again or type the code carefully."),
    "not_a_barcode": N_("This is not a product barcode."),
    "bad_gs1": N_("The GS1 code could not be read: scan again."),
    "too_long": N_("This is not a product barcode."),
    "keyboard_layout": N_("The scanner typed this code in the Russian keyboard layout: switch the "
                          "scanner's keyboard layout to English and scan again."),
}

_NOT_ALLOWED = {
    "same_product": N_("That is the product that is missing: scan a different one."),
    "unit": N_("Offer a product sold the same way (by piece or by weight)."),
    "age_restricted": N_("An age-restricted product cannot replace an ordinary one."),
    "not_specific": N_("The customer asked for one specific substitute: offer only that."),
    "line_not_short": N_("Mark the line as missing before offering a substitute."),
    "already_proposed": N_("This substitute is already waiting for the customer."),
    "brand": N_("The customer wants the same brand only."),
    "price_cap": N_("This costs more than the customer allows for a substitute."),
    "other_category": N_("This is another kind of product. Offer it only if nothing of the "
                         "same kind is left: tap ‘Offer another kind’."),
}


def _bad_code(p: Params) -> str:
    return _(_BAD_CODE_REASONS.get(str(p.get("reason")), "This is not a product barcode."))


def _not_allowed(p: Params) -> str:
    if p.get("reason") == "attributes":
        return _("It would not be %(attributes)s like the product ordered. Offer one that is.",
                 attributes=attribute_list(str(p.get("lost") or "").split(",")))
    return _(_NOT_ALLOWED.get(str(p.get("reason")), N_("This product cannot be offered.")))


def _invalid_transition(p: Params) -> str:
    if p.get("reason") == "top_priority":
        return _("This order already has the top priority.")
    if p.get("reason") == "not_assigned":
        return _("Nobody is picking this order.")
    return _generic(p)


def _invalid_packing(p: Params) -> str:
    if p.get("reason") == "place":
        return _("Say where the %(zone)s bags are staged.", zone=label(p["zone"]))
    return _("Check the bags for %(zone)s: every zone with goods needs 1 to 20 bags, a zone "
             "without goods none.", zone=label(p["zone"]))


# -- the table ---------------------------------------------------------------------

ERRORS: dict[type[errors.PickingError], Entry] = {
    errors.PickingError: Entry("error", _generic, 422),

    # reading a scan
    errors.BadCode: Entry("error", _bad_code, 422, detail=lambda p: str(p.get("raw", ""))),
    errors.UnknownCode: Entry(
        "error", lambda p: _("Unknown code: no product in this store has it."), 422,
        detail=lambda p: str(p.get("code", ""))),
    errors.ScanIdReused: Entry(
        "error", lambda p: _("This scan was already recorded for another code or order: "
                             "scan the item again."), 409),

    # scanning into lines
    errors.WrongItemScanned: Entry(
        "error", lambda p: _("Wrong item: %(name)s is not on this order.", name=_name(p)), 422),
    errors.TooManyScanned: Entry(
        "error", lambda p: _("Too many: %(name)s — ordered %(ordered)s, already %(picked)s.",
                             name=_name(p), ordered=p["ordered"], picked=p["picked"]), 422),
    errors.LineAlreadyDone: Entry(
        "error", lambda p: _("%(name)s is already done.", name=_name(p)), 422),
    errors.NothingToUndo: Entry("warn", lambda p: _("Nothing to undo."), 422),
    errors.InvalidQuantity: Entry(
        "error", lambda p: _("The quantity must be a whole number from 1 to 999."), 422),
    errors.NoSuchLine: Entry(
        "error", lambda p: _("This line is not on this order: reload the page."),
        422),
    errors.NotAWeighedLine: Entry(
        "error", lambda p: _("%(name)s is sold by the piece: scan it instead of typing a "
                             "weight.", name=_name(p)), 422),
    errors.InvalidShortReason: Entry(
        "error", lambda p: _("Choose why the item is missing from the list."), 422),
    errors.MarkingCodeRequired: Entry(
        "error", lambda p: _("%(name)s is marked goods: scan the DataMatrix code on the pack.",
                             name=_name(p)), 422),
    errors.DuplicateMarkingCode: Entry(
        "error", lambda p: _("This DataMatrix code was already scanned: every pack has its "
                             "own code."), 422),
    errors.MarkingRefused: Entry("error", refusal_sentence, 422),
    errors.MarkedUnitsWithdrawn: Entry("error", withdrawn_sentence, 409),
    errors.NotFreshEnough: Entry("error", stale_sentence, 422),
    errors.ExpiryDateNeeded: Entry(
        "warn", lambda p: ngettext(
            "%(name)s has no date in its code: type the date on the pack (at least %(num)s "
            "day left at delivery).",
            "%(name)s has no date in its code: type the date on the pack (at least %(num)s "
            "days left at delivery).", int(p.get("min_days", 0)), name=_name(p)), 422),
    errors.WeightRequired: Entry(
        "warn", lambda p: _("%(name)s is sold by weight: scan the scale label or type the "
                            "weight.", name=_name(p)), 422),
    errors.AbsurdWeight: Entry(
        "error", lambda p: _("A weight of %(weight)s is not plausible.",
                             weight=_grams(p.get("weight_g", 0))), 422),
    errors.WeightNeedsConfirmation: Entry(
        "warn", lambda p: _("%(total)s is more than %(pct)s%% off the %(ordered)s ordered: "
                            "confirm to keep it.", total=_grams(p["total_g"]),
                            pct=p["soft_pct"], ordered=_grams(p["ordered_g"])), 422),
    errors.WeightOutsideTolerance: Entry(
        "error", lambda p: _("%(total)s is too far from the %(ordered)s ordered.",
                             total=_grams(p["total_g"]), ordered=_grams(p["ordered_g"])), 422),

    # the order and who works on it
    errors.OrderNotFound: Entry("error", lambda p: _("Order not found."), 404),
    errors.OrderNotPickable: Entry(
        "error", lambda p: _("This order can no longer be changed."), 409,
        supervisor=lambda p: _("This order has left picking: it can no longer be changed.")),
    errors.OrderCancelled: Entry(
        "error", lambda p: _("This order was cancelled. Stop picking and put the items back."),
        409),
    errors.NotYourOrder: Entry(
        "error", lambda p: _("This order belongs to another picker."), 409),
    errors.LinesStillOpen: Entry(
        "warn", lambda p: i18n.ngettext(
            "%(num)s line is still open: pick it or mark it short.",
            "%(num)s lines are still open: pick them or mark them short.", p["count"]), 422),
    errors.NoOrderWaiting: Entry("ok", lambda p: _("No orders are waiting right now."), 422),
    errors.InvalidTransition: Entry("warn", _invalid_transition, 409),
    errors.RevisionRefused: Entry("error", _generic, 409),
    errors.PickerNotAvailable: Entry(
        "error", lambda p: _("Choose an active picker of this store."), 409),
    errors.PickerBusy: Entry(
        "warn", lambda p: i18n.ngettext(
            "%(name)s is already picking %(num)s order. Assign this one too?",
            "%(name)s is already picking %(num)s orders. Assign this one too?",
            p["orders"], name=p["name"]), 409),

    # substitution
    errors.SubstitutionNotWanted: Entry(
        "error", lambda p: _("The customer does not want substitutes for this line."), 422),
    errors.SubstituteNotAllowed: Entry("error", _not_allowed, 422),
    errors.ProposalNotFound: Entry("error", _generic, 404),
    errors.ProposalClosed: Entry(
        "warn", lambda p: _("Too late for this one: it was already decided."), 409),
    errors.LineNotReopenable: Entry(
        "warn", lambda p: _("%(name)s is not marked missing: there is nothing to reopen.",
                            name=_name(p)), 409),
    errors.WeightQuestionNotNeeded: Entry(
        "warn", lambda p: _("%(total)s is close enough to the %(ordered)s ordered: record it "
                            "without asking.", total=_grams(p["total_g"]),
                            ordered=_grams(p["ordered_g"])), 422),
    errors.InvalidFallback: Entry(
        "error", lambda p: _("Choose: a refund, or keep the best match."), 422),
    errors.ReopenReasonRequired: Entry(
        "error", lambda p: _("Say why the line is reopened (up to 200 characters)."), 422),
    errors.LinkNotFound: Entry(
        "warn", lambda p: _("This link is not valid. Please check the message we sent you."),
        404),
    errors.LinkExpired: Entry(
        "warn", lambda p: _("This order is complete, so this link no longer works."), 410),

    # packing and handover
    errors.WrongHandoverStep: Entry(
        "error", lambda p: _("Order %(order)s is “%(status)s”: this step is not possible now.",
                             order=p["order"], status=label(p["status"])), 409),
    errors.InvalidPacking: Entry("error", _invalid_packing, 422),
    errors.NothingToPack: Entry(
        "warn", lambda p: _("Nothing of order %(order)s was picked: there is nothing to pack. "
                            "The order service decides what becomes of it.", order=p["order"]),
        409),
    errors.BadBag: Entry(
        "error", lambda p: _("This is not a bag label: scan the QR code on the bag."), 422,
        detail=lambda p: str(p.get("raw", ""))),
    errors.BagFromAnotherOrder: Entry(
        "error", lambda p: _("This bag belongs to order %(other)s, not %(order)s. Put it back.",
                             other=p["bag_order"], order=p["order"]), 422),
    errors.UnknownBag: Entry(
        "error", lambda p: _("This order has no bag %(k)s of %(n)s: the label is old or was "
                             "reprinted.", k=p["number"], n=p["count"]), 422),
    errors.BagsMissing: Entry(
        "error", lambda p: _("Not all bags are scanned. Missing: %(bags)s.",
                             bags=_bag_list(p["missing"])), 422),
    errors.NotYourDelivery: Entry(
        "error", lambda p: _("This delivery belongs to another courier."), 409),
    errors.IdCheckRequired: Entry(
        "error", lambda p: _("This order has 18+ items: check the customer's ID and tick the "
                             "box."), 422),
    errors.InvalidRefusal: Entry(
        "error", lambda p: returned_unit_sentence(p) if p.get("reason") == "marking_code"
        else _("Choose why the delivery failed.") if p.get("reason") == "failure reason"
        else _("Choose a reason and a quantity the customer still has."), 422),
    errors.PickupCodeNotChecked: Entry(
        "error", lambda p: _("Enter the customer's pickup code first."), 422),
    errors.WrongPickupCode: Entry(
        "error", lambda p: ngettext("Wrong pickup code. %(num)s try left.",
                                    "Wrong pickup code. %(num)s tries left.",
                                    max(int(p.get("left", 0)), 0)), 422),
    errors.TooManyPickupAttempts: Entry(
        "error", lambda p: ngettext("Too many wrong codes. Try again in %(num)s minute.",
                                    "Too many wrong codes. Try again in %(num)s minutes.",
                                    int(p["minutes"])), 429),
    errors.PickupCodeAlreadyUsed: Entry(
        "warn", lambda p: _("Order %(order)s was already handed over at %(time)s.",
                            order=p["order"], time=p["time"]), 409),
    # runs and totes (several orders in one walk)
    errors.ToteUnknown: Entry(
        "error", lambda p: _("Unknown tote: this label is not one of this store's totes."),
        422, detail=lambda p: str(p.get("tote", ""))),
    errors.ToteDamaged: Entry(
        "error", lambda p: _("The tote label is damaged or misread: type the code under the "
                             "QR."), 422, detail=lambda p: str(p.get("tote", ""))),
    errors.ToteOfAnotherStore: Entry(
        "error", lambda p: _("This tote belongs to another store."), 422,
        detail=lambda p: str(p.get("tote", ""))),
    errors.ToteTaken: Entry(
        "error", lambda p: _("Tote %(tote)s already holds another order's goods: take an "
                             "empty tote.", tote=short_tote(p["tote"])), 409),
    errors.WrongTote: Entry(
        "error", lambda p: _("WRONG TOTE! Not %(tote)s: put it into tote %(letter)s, "
                             "%(zone)s (%(expected)s).", tote=short_tote(p["tote"]),
                             letter=p["letter"], zone=label(p["zone"]),
                             expected=short_tote(p["expected"])), 422),
    errors.NoItemToPut: Entry(
        "error", lambda p: _("Scan the item first, then its tote."), 422),
    errors.PutFirst: Entry(
        "error", lambda p: _("First put %(name)s into tote %(letter)s, %(zone)s "
                             "(%(expected)s).", name=_name(p), letter=p["letter"],
                             zone=label(p["zone"]), expected=short_tote(p["expected"])), 409),
    errors.NotNeededInRun: Entry(
        "error", lambda p: _("No order of this run needs %(name)s.", name=_name(p)), 422),
    errors.TotesNotBound: Entry(
        "error", lambda p: _("Order %(letter)s has no %(zone)s tote yet: scan a tote label "
                             "first.", letter=p["letter"], zone=label(p["zone"])), 409),
    errors.RunNotFound: Entry("error", lambda p: _("This run is not yours or is over."), 404),
    errors.PutsPending: Entry(
        "error", lambda p: _("Put the scanned items into their totes first (%(count)s "
                             "waiting).", count=p["count"]), 409),

    # pickup check-in on the customer's link
    errors.CheckInNotOpen: Entry(
        "warn", lambda p: _("Your order is not ready for pickup yet: we will send you a "
                            "message when it is."), 409),
    errors.AlreadyCheckedIn: Entry(
        "warn", lambda p: _("We already know you are here: a member of staff is coming.")
        if p.get("step") == "arrived" else _("We already know you are on the way."), 409),
    errors.UnknownBay: Entry(
        "error", lambda p: _("Choose the number of the bay or desk where you are."), 422),
}


def lookup(err: errors.PickingError) -> Entry:
    """The entry of the error's class, or of its nearest ancestor that has one."""
    for cls in type(err).__mro__:
        entry = ERRORS.get(cls)
        if entry is not None:
            return entry
    return ERRORS[errors.PickingError]
