"""The outbox table is described once (sync.outbox_table); the app's schema and the
relay's copy are the same table."""

from __future__ import annotations

from sqlalchemy import DateTime

from app.db import tables
from app.db.types import UtcDateTime
from sync.outbox import OUTBOX as RELAYS
from sync.outbox_table import OUTBOX


def shape(table: object) -> list[tuple[object, ...]]:
    out = []
    for c in table.columns:  # type: ignore[attr-defined]
        kind = type(c.type.impl if isinstance(c.type, UtcDateTime) else c.type)
        out.append((c.name, kind.__name__, c.nullable, c.primary_key, c.unique))
    return out


def test_the_apps_outbox_and_the_relays_are_one_description() -> None:
    assert RELAYS is OUTBOX
    assert shape(tables.outbox) == shape(OUTBOX)
    assert sorted((i.name, tuple(c.name for c in i.columns)) for i in tables.outbox.indexes) == \
        sorted((i.name, tuple(c.name for c in i.columns)) for i in OUTBOX.indexes)
    assert tables.outbox.metadata is tables.metadata


def test_the_apps_moments_keep_utc_and_the_relays_are_aware() -> None:
    assert isinstance(tables.outbox.c.occurred_at.type, UtcDateTime)
    assert isinstance(OUTBOX.c.claimed_until.type, DateTime)
    assert OUTBOX.c.claimed_until.type.timezone
