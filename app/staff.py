"""The signed-in staff member as handlers and guards see it, and what each role may open.

``AREAS`` names every part of the app a person can open and ``ROLE_AREAS`` says
which roles may open it: the route guards (``app.auth.requires_area``), the home
page and the top bar's menu all read this one table, so a link is never shown to
someone the guard would turn away, and no page a role may use goes unlinked.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return message


@dataclass(frozen=True)
class Area:
    key: str
    route: str  # the route name its link opens
    title: str  # msgid, translated when shown
    does: str  # msgid: what a person does there


AREAS = {area.key: area for area in (
    Area("board", "board:index", N_("Live board"),
         N_("Every order live: time limits, stuck orders, who picks what.")),
    Area("summary", "board:summary", N_("Shift summary"),
         N_("Today's orders, lateness and the pickers' work.")),
    Area("limits", "board:limits", N_("Time limits"),
         N_("How long each step may take before the board alerts.")),
    Area("pick", "pick:queue", N_("Picking"),
         N_("Take the next order and pick it shelf by shelf.")),
    Area("pack", "pack:desk", N_("Packing desk"),
         N_("Pack picked orders into bags; failed deliveries come back here.")),
    Area("collect", "collect:counter", N_("Click & collect counter"),
         N_("Hand orders over to customers with their pickup code.")),
    Area("courier", "courier:list", N_("Deliveries"),
         N_("Take packed orders bag by bag and deliver them.")),
    Area("dead_letters", "sync:dead_letters", N_("Undelivered events"),
         N_("Events the central order service did not accept; retry them.")),
)}

# The first area is where the role lands after signing in (roles with one job
# go straight there; supervisors and admins land on a home listing them all).
ROLE_AREAS: dict[str, tuple[str, ...]] = {
    "picker": ("pick", "pack", "collect"),
    "packer": ("pack", "collect"),
    "clerk": ("collect",),
    "courier": ("courier",),
    "supervisor": ("board", "summary", "limits", "pick", "pack", "collect", "dead_letters"),
    "admin": ("board", "summary", "limits", "pick", "pack", "collect", "courier",
              "dead_letters"),
}
ROLES = tuple(ROLE_AREAS)
HUB_ROLES = frozenset({"supervisor", "admin"})  # "/" lists their areas instead of redirecting


def areas_for(role: str) -> list[Area]:
    """The areas ``role`` may open, in the order its home lists them (none if unknown)."""
    return [AREAS[key] for key in ROLE_AREAS.get(role, ())]


def may_open(role: str, area: str) -> bool:
    return area in ROLE_AREAS.get(role, ())


@dataclass(frozen=True)
class StaffUser:
    id: int
    store_id: int
    store_code: str
    store_name: str
    personnel_no: str
    name: str
    role: str
    language: str
    locale: str = "ru_RU"
    currency: str = "RUB"
    timezone: str = "Europe/Moscow"

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")

    @property
    def areas(self) -> list[Area]:
        return areas_for(self.role)
