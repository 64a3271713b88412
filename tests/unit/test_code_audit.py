"""The OMS simulator's audit of marked units (sync.code_audit): codes handed over plus
codes returned must equal the codes picked; a mismatch is shown in red."""

from __future__ import annotations

from typing import Any

from sync.code_audit import CodeAudit
from sync.customer_inbox import InboxLedger
from sync.simulator import audit_section

GS = "\x1d"
KEY = "0104607654321015"


def env(order: str, kind: str, seq: int, **payload: Any) -> dict[str, Any]:
    return {"event_id": f"{order}-{seq}", "order_id": order, "sequence": seq, "type": kind,
            "occurred_at": "2026-11-22T09:00:00+00:00", "payload": payload}


def unit(n: int) -> str:
    return f"{KEY}21UNIT0{n}"


def test_handed_plus_returned_equal_picked_and_a_missing_unit_is_a_mismatch() -> None:
    ledger = InboxLedger()
    events = [env("A", "ItemScanned", 1, marking_code=unit(1)),
              env("A", "ItemScanned", 2, marking_code=unit(2)),
              env("A", "ItemScanned", 3, marking_code=unit(3)),
              env("A", "ScanUndone", 4, marking_code=unit(3)),
              env("A", "ItemScanned", 5, marking_code=unit(4)),
              env("A", "LineShorted", 6, withdrawn_codes=[unit(4)]),
              env("A", "OrderSettled", 7, lines=[{"marking_codes": [f"{unit(1)}{GS}93AbCd"]}],
                  returned_codes=["(01)04607654321015(21)UNIT02(93)AbCd"]),
              env("B", "ItemScanned", 1, marking_code=unit(5)),
              env("B", "ItemScanned", 2, marking_code=unit(6)),
              env("B", "OrderSettled", 3, lines=[{"marking_codes": [unit(5), unit(7)]}],
                  returned_codes=[])]
    for event in events:
        ledger.receive(event)
    ledger.receive(events[-1])  # a duplicate is not audited twice
    assert ledger.codes.results["A"]["ok"] is True
    [bad] = ledger.codes.mismatches()
    assert (bad["order"], bad["missing"], bad["extra"]) == ("B", [unit(6)], [unit(7)])
    page = audit_section(ledger.codes)
    assert "data-mismatches='1'" in page and "color:#b00020" in page and unit(6) in page


def test_an_order_with_nothing_marked_settles_clean() -> None:
    audit = CodeAudit()
    audit.note(env("C", "OrderSettled", 1, lines=[{"marking_codes": []}], returned_codes=[]))
    assert audit.mismatches() == []
