"""The signed-in staff member as handlers and guards see it."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("picker", "supervisor", "courier", "admin")


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
