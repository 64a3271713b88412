"""Count the SQL statements an engine sends (BEGIN, COMMIT and ROLLBACK are not counted:
SQLite's writer sends its own BEGIN IMMEDIATE as a statement, PostgreSQL's driver does not).
A statement of data-modifying CTEs (PostgreSQL's merged writes) is recorded with what each
CTE does, in order: ``WITH UPDATE+INSERT``."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event


class Statements:
    def __init__(self, engine: Any) -> None:
        self.seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self.record)

    def record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.split()[0].upper()
        if verb == "WITH":
            verb += " " + "+".join(re.findall(r"\bAS\s*\(\s*(\w+)", statement))
        if verb not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.seen.append(verb)

    def reset(self) -> None:
        self.seen.clear()
