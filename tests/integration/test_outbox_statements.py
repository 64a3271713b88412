"""The relay's claim and record reuse compiled statements round after round, and the
claim reads each order's events by the order index, never the whole pending backlog."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from sync import outbox
from tests.support.outbox import add_events


async def test_rounds_after_the_first_compile_nothing(db: Any) -> None:
    for n in range(12):
        await add_events(db, f"C-{n}", 3, order_id=n + 1)
    seen: list[tuple[str, Any]] = []
    later = datetime.now(UTC) + timedelta(minutes=1)

    def heard(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any,
              _many: bool) -> None:
        seen.append((statement, context.cache_hit))

    event.listen(db.writer.sync_engine, "after_cursor_execute", heard)
    try:
        # Rounds of 7, 5 and 6 heads (one statement for up to 8 ranges), then again: a
        # statement sent before is never compiled again.
        for heads in (7, 5, 6, 7, 5, 6):
            async with db.writing() as session:
                runs = await outbox.claim(session, "me", later,
                                          lease=timedelta(seconds=30), heads=heads, limit=100,
                                          per_order=1)
                await session.commit()
            assert runs
            leased = [e.id for run in runs for e in run]
            async with db.writing() as session:  # all sent but one, which fails for now
                await outbox.record(session, "me", later, [
                    outbox.Outcome(i, outbox.SENT) if k else
                    outbox.Outcome(i, outbox.PENDING, "502", later + timedelta(minutes=1))
                    for k, i in enumerate(leased)], leased)
                await session.commit()
    finally:
        event.remove(db.writer.sync_engine, "after_cursor_execute", heard)
    kinds = {hit.name for _, hit in seen}
    assert not kinds & {"NO_CACHE_KEY", "CACHING_DISABLED"}, kinds  # as VALUES (...) was
    again = [hit.name for k, (sql, hit) in enumerate(seen) if sql in {x for x, _ in seen[:k]}]
    assert len(again) > len(seen) // 2 and set(again) == {"CACHE_HIT"}, again


def test_the_claim_reads_by_the_order_index(tmp_path: Any) -> None:
    """SQLite, even before ANALYZE: one index range per claimed order."""
    from sqlalchemy.dialects import sqlite

    from app.db.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{tmp_path}/plan.db")
    conn = sqlite3.connect(tmp_path / "plan.db")
    try:
        for slots in (1, 8):
            sql = str(outbox._events_statement(slots).compile(dialect=sqlite.dialect()))
            plan = " ".join(row[3] for row in conn.execute(
                "EXPLAIN QUERY PLAN " + sql, [0] * sql.count("?")))
            assert "ix_outbox_order" in plan and "ix_outbox_pending" not in plan, plan
    finally:
        conn.close()
