"""The words for the marking check: why a unit was refused, and the board's line
saying whether the check is on."""

from __future__ import annotations

from typing import Any

from app.i18n import gettext as _


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
