"""The OMS's audit of marked units: for every order settled, the codes handed over plus
the codes returned must be exactly the codes picked (the simulator shows a mismatch red).

Picked: each ``ItemScanned`` unit and each approved substitute's unit, less those taken
back (``ScanUndone``) or withdrawn at the re-check before handover (``LineShorted``).
Units are compared by key (01 GTIN 21 serial), whichever form a code arrives in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from picking.codes import UnreadableCode, interpret


def unit_key(code: str) -> str:
    try:
        return interpret(code).marking_key or code
    except UnreadableCode:
        return code


@dataclass
class CodeAudit:
    picked: dict[str, set[str]] = field(default_factory=dict)  # order -> unit keys
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # order -> verdict
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, envelope: dict[str, Any]) -> None:
        order, kind = str(envelope["order_id"]), str(envelope["type"])
        payload = envelope.get("payload") or {}
        with self.lock:
            units = self.picked.setdefault(order, set())
            picked = kind == "ItemScanned" or (
                kind == "SubstitutionDecided" and payload.get("outcome") == "approved")
            if picked and payload.get("marking_code"):
                units.add(payload["marking_code"])
            elif kind == "ScanUndone" and payload.get("marking_code"):
                units.discard(payload["marking_code"])
            elif kind == "LineShorted":
                units.difference_update(payload.get("withdrawn_codes") or ())
            elif kind == "OrderSettled":
                self.results[order] = self._settle(order, units, payload)

    def _settle(self, order: str, picked: set[str], payload: dict[str, Any]) -> dict[str, Any]:
        handed = [unit_key(c) for ln in payload.get("lines", [])
                  for c in ln.get("marking_codes", [])]
        returned = [unit_key(c) for c in payload.get("returned_codes", [])]
        told = handed + returned
        return {"order": order, "ok": sorted(told) == sorted(picked),
                "handed": len(handed), "returned": len(returned), "picked": len(picked),
                "missing": sorted(picked - set(told)), "extra": sorted(set(told) - picked)}

    def mismatches(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.results.values() if not r["ok"]]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"settled": len(self.results), "mismatches": [
                r for r in self.results.values() if not r["ok"]]}
