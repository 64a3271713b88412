"""The outbound contract: every event is registered and survives the JSON envelope."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from picking import events
from picking.events import EVENT_TYPES, Event, rebuild
from picking.model import Order
from sync.outbox import envelope, envelope_text

NOW = datetime(2026, 11, 22, 12, 0, 5, 123456, tzinfo=UTC)
ORDER = Order(store_id=1, store_code="MSK-001", oms_id="OMS-Ё-42", due_at=NOW, id=9)

# Sample field values for every event type, as the aggregate would fill them.
SAMPLES: dict[str, dict[str, Any]] = {
    "PickingStarted": {"picker_id": 3},
    "PickerUnassigned": {"picker_id": 3},
    "ItemScanned": {"line_id": 5, "sku": "MILK-1", "code": "04600000000015", "quantity": 2,
                    "weight_g": None, "marking_code": "0104600000000015215abc\x1d93xyz",
                    "picked_quantity": 2,
                    "marking_check": {"status": "ok", "source": "online", "recheck": False,
                                      "expiry": "2026-12-31"}},
    "WeightRecorded": {"line_id": 6, "sku": "APPLE", "weight_g": 512, "total_g": 1012,
                       "ordered_g": 1000, "outside_soft_band": False, "price_minor": 15180},
    "ScanUndone": {"line_id": 5, "sku": "MILK-1", "quantity": 1, "picked_quantity": 1,
                   "marking_code": None},
    "LineShorted": {"line_id": 5, "sku": "MILK-1", "ordered": 3, "picked": 1, "missing": 2,
                    "reason": "out_of_stock", "withdrawn_codes": ()},
    "OrderPicked": {"lines": ({"sku": "MILK-1", "ordered": 3, "picked": 1, "state": "short",
                               "price_minor": 8990, "unit": "piece",
                               "short_reason": "out_of_stock",
                               "marking_codes": ["0104601234567893215Abc12"],
                               "weights_g": [], "substitute_for": None},),
                    "total_minor": 8990},
    "OrderCancelled": {"reason": "customer asked", "previous_status": "picking",
                       "picker_id": 3},
    "OrderRevised": {"oms_version": 2, "added": ("BREAD",), "removed": ("EGGS",),
                     "changed": ({"sku": "MILK-1", "from": 3, "to": 1},)},
    "PickerAssigned": {"picker_id": 4, "previous_picker_id": 3},
    "PriorityRaised": {"priority": 2},
    "SubstitutionProposed": {"line_id": 5, "proposal": "p-ref", "original_sku": "MILK-1",
                             "sku": "MILK-2", "quantity": 2, "unit_price_minor": 9990,
                             "original_unit_price_minor": 8990,
                             "expires_at": NOW + timedelta(minutes=10),
                             "customer_url": "https://shop.example/c/tok",
                             "other_category": True},
    "SubstitutionDecided": {"line_id": 5, "proposal": "p-ref", "original_sku": "MILK-1",
                            "sku": "MILK-2", "outcome": "approved", "decided_by": "customer",
                            "quantity": 2, "charged_unit_price_minor": 8990,
                            "difference_approved": True, "fallback": None, "picked": 1,
                            "marking_code": "0104601234567893215Abc12", "weight_g": None},
    "ItemUnavailable": {"store": "MSK-001", "sku": "MILK-1", "reason": "not_found"},
    "LineReopened": {"line_id": 5, "sku": "MILK-1", "previous_reason": "not_found",
                     "by": "supervisor", "reason": "found in the back room",
                     "withdrawn": ("p-ref",)},
    "SubstituteChoiceOffered": {"line_id": 5, "sku": "MILK-1",
                                "customer_url": "https://shop.example/c/tok"},
    "SubstituteChosenInAdvance": {"line_id": 5, "sku": "MILK-1", "substitute_sku": "MILK-2"},
    "FallbackChosen": {"line_id": 5, "sku": "MILK-1", "fallback": "best_match"},
    "WeightQuestionAsked": {"line_id": 6, "proposal": "w-ref", "sku": "MELON", "ordered_g": 1000,
                            "offered_g": 1500, "extra_minor": 15000,
                            "expires_at": NOW + timedelta(minutes=10),
                            "customer_url": "https://shop.example/c/tok"},
    "OrderPacked": {"bags": {"ambient": 2, "chilled": 1}, "bag_count": 3,
                    "staging": {"ambient": "A1", "chilled": "F2"},
                    "cold_seconds": {"chilled": 95}, "pickup_code": "4821",
                    "customer_url": "https://shop.example/c/abc"},
    "OrderHandedOver": {"to": "courier", "courier_id": 7, "by": 3, "bags": 3,
                        "waited_seconds": 360},
    "CustomerOnTheWay": {},
    "CustomerArrived": {"bay": "3"},
    "OrderDelivered": {"refusals": ({"line_id": 5, "sku": "MILK-2", "quantity": 1,
                                     "amount_minor": 8990, "reason": "damaged"},),
                       "refund_minor": 8990, "id_checked_by": 7, "proof_photo": True},
    "DeliveryFailed": {"reason": "customer_absent", "note": "nobody at the door"},
    "OrderReturned": {"reason": "customer_absent"},
    "OrderSettled": {"fulfilment": "delivery", "lines": ({
        "line_id": 5, "sku": "BEER", "unit": "piece", "quantity": 1, "unit_price_minor": 12900,
        "price_minor": 12900, "substitute_for": None,
        "marking_codes": ["0104600000000015215abc\x1d93xyz"]},),
        "returned_codes": ("0104600000000015215abd\x1d93xyw",), "total_minor": 12900},
}


def _subclasses(cls: type[Event]) -> set[type[Event]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_event_class_is_in_the_registry_under_its_type_name() -> None:
    missing = {cls.__qualname__ for cls in _subclasses(Event)
               if EVENT_TYPES.get(cls.__name__) is not cls}
    assert missing == set()
    assert all(name == cls.__name__ for name, cls in EVENT_TYPES.items())


def test_every_event_lives_in_the_events_module() -> None:
    assert {cls.__module__ for cls in EVENT_TYPES.values()} == {"picking.events"}


def test_the_old_import_paths_still_give_the_same_classes() -> None:
    from picking import handover_facts, substitution, supervision
    assert substitution.SubstitutionProposed is events.SubstitutionProposed
    assert supervision.PriorityRaised is events.PriorityRaised
    assert handover_facts.OrderReturned is events.OrderReturned


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_each_event_round_trips_through_the_json_envelope(name: str) -> None:
    event = EVENT_TYPES[name](order_id=ORDER.id, occurred_at=NOW, sequence=7, actor_id=3,
                              **SAMPLES[name])
    text = envelope_text(envelope(ORDER, event, "e-1"))
    body = json.loads(text)
    assert (body["type"], body["order_id"], body["store"], body["event_id"]) == (
        name, "OMS-Ё-42", "MSK-001", "e-1")
    back = rebuild(body["type"], body["payload"], order_id=ORDER.id,
                   occurred_at=datetime.fromisoformat(body["occurred_at"]),
                   sequence=body["sequence"])
    assert back == event
    assert type(back) is type(event)


def test_a_sample_covers_every_field_of_every_event() -> None:
    import dataclasses
    base = {f.name for f in dataclasses.fields(Event)}
    for name, cls in EVENT_TYPES.items():
        own = {f.name for f in dataclasses.fields(cls)} - base
        assert set(SAMPLES.get(name, {})) == own, name


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(KeyError):
        rebuild("OrderTeleported", {}, order_id=1, occurred_at=NOW, sequence=1)
