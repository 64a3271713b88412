"""The words for the marking check: why a unit was refused, and the board's line
saying whether the check is on."""

from __future__ import annotations

from typing import Any

from app.i18n import gettext as _
from picking.lines import name_in


def refusal_sentence(p: dict[str, Any]) -> str:
    """Why the marking check refused this unit, and what to do: take another one."""
    status = str(p.get("status", ""))
    if status == "blocked":
        return _("This pack is blocked for sale: take another one.")
    if status == "sold":
        return _("This pack's code is already sold: take another one.")
    if status == "unknown":
        return _("The marking system does not know this pack's code: take another one.")
    if status == "invalid":
        return _("This pack's code is damaged or not genuine: take another one.")
    if status == "expired":
        return _("This pack is past its expiry date: take another one.")
    if status == "not_realizable":
        return _("This pack is not released for sale yet: take another one.")
    if status == "not_owner":
        return _("This pack is not registered to our store: take another one and tell "
                 "the supervisor.")
    if status == "unanswered":
        return _("The marking check did not answer and this store then refuses: scan the "
                 "pack again in a moment or take another one.")
    return _("The marking check refused this pack: take another one.")


def withdrawn_sentence(p: dict[str, Any]) -> str:
    """The re-check before handover took packed units off the order: which to take out."""
    from app import i18n

    units = p.get("units") or []
    language = i18n.current_language()
    named = "; ".join(
        _("%(name)s (code …%(serial)s): %(why)s", name=name_in(u, language),
          serial=str(u.get("serial", ""))[-6:], why=_short_why(str(u.get("status", ""))))
        for u in units)
    return _("Take out of the bags before handing over: %(units)s. The marking re-check "
             "refused them; their lines are now short. Then confirm again.", units=named)


def _short_why(status: str) -> str:
    return {"blocked": _("blocked for sale"), "sold": _("already sold"),
            "unknown": _("unknown code"), "invalid": _("damaged or not genuine code"),
            "expired": _("past its expiry date"), "not_realizable": _("not released for sale"),
            "not_owner": _("not registered to our store")}.get(status, status)


def stale_sentence(p: dict[str, Any]) -> str:
    """A unit with too few days of life left at delivery."""
    from app import i18n

    return i18n.ngettext(
        "%(name)s has %(num)s day left at delivery: pick a fresher one, with at least %(min)s.",
        "%(name)s has %(num)s days left at delivery: pick a fresher one, with at least "
        "%(min)s.", int(p.get("days_left", 0)), name=name_in(p, i18n.current_language()),
        min=p.get("min_days", 0))


def returned_unit_sentence(p: dict[str, Any]) -> str:
    """A marked unit given back must be named by its own code."""
    if not p.get("value"):
        return _("Scan the code on the pack the customer gives back: marked goods are "
                 "returned one pack at a time.")
    return _("This code is not a pack handed over on this line, or it was already "
             "returned: scan the pack the customer gives back.")


def checker_state(description: dict[str, Any] | None) -> tuple[str, str]:
    """(kind, sentence) for the board: is the marking check on, and how."""
    if description is None:
        return "warn", _("Marking check: off (no checker configured): blocked packs are "
                         "found only at the register.")
    if description.get("online") and description.get("local"):
        where = _("national system, then the store's local module")
    elif description.get("online"):
        where = _("national system only")
    else:
        where = _("the store's local module only")
    if description.get("policy") == "refuse":
        policy = _("with no answer, packs are refused")
    else:
        policy = _("with no answer, packs are allowed and re-checked before handover")
    return "ok", _("Marking check: on (%(where)s; %(policy)s).", where=where, policy=policy)
