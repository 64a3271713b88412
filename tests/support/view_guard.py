"""Screens read views, not aggregates (issue 10, item 4): a guard on every template render.

The autouse fixture ``view_guard`` (imported by ``tests/integration/conftest.py`` and
``tests/e2e/conftest.py``) wraps ``jinja2.Template.render``: a render whose context holds
the write side's ``Order``, ``Line`` or ``Proposal`` (a top-level value, an item of a
top-level list, tuple, set or dict, or a field of a top-level dataclass) raises, and the
test fails at teardown even when the answer's status was not looked at (a server-sent
fragment, a browser test's server).

Every template is checked by the name it was rendered under (a page includes its
fragments with the same context, so checking the page covers them).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import jinja2
import pytest

from picking.lines import Line, Proposal
from picking.model import Order

FORBIDDEN: tuple[type, ...] = (Order, Line, Proposal)

# Templates allowed to take the write side for now: none (every screen renders from a view).
PENDING: frozenset[str] = frozenset()


class AggregateInTemplate(AssertionError):
    """A template was given a write-side object instead of a view."""


def _inside(value: Any) -> Any:
    """What lies one level inside ``value``: (key, item) pairs of a mapping, a list,
    tuple or set, or of a dataclass instance's fields (``None`` for anything else)."""
    if isinstance(value, Mapping):
        return value.items()
    if isinstance(value, (list, tuple, set, frozenset)):
        return enumerate(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    return None


def offenders(context: Mapping[str, Any]) -> list[str]:
    """Where ``context`` holds an Order, Line or Proposal: ``name``, ``name[key]`` (an
    item of a list or dict) or ``name.field`` (a field of a dataclass)."""
    found = []
    for name, value in context.items():
        if isinstance(value, FORBIDDEN):
            found.append(f"{name}: {type(value).__name__}")
            continue
        items = _inside(value)
        if items is None:
            continue
        shown = ("{}.{}" if dataclasses.is_dataclass(value) else "{}[{!r}]").format
        found += [f"{shown(name, key)}: {type(item).__name__}" for key, item in items
                  if isinstance(item, FORBIDDEN)]
    return found


def check(name: str | None, context: Mapping[str, Any]) -> None:
    """Raise ``AggregateInTemplate`` when ``name`` (not pending) is given an aggregate."""
    if name in PENDING:
        return
    found = offenders(context)
    if found:
        raise AggregateInTemplate(f"template {name} rendered from the write side: "
                                  + "; ".join(found))


class Guard:
    """Wraps ``jinja2.Template.render`` and keeps what it refused (any thread)."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self._lock = threading.Lock()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = jinja2.Template.render
        guard = self

        def render(template: jinja2.Template, *args: Any, **kwargs: Any) -> str:
            try:
                check(template.name, dict(*args, **kwargs))
            except AggregateInTemplate as refused:
                with guard._lock:
                    guard.refused.append(str(refused))
                raise
            return original(template, *args, **kwargs)

        monkeypatch.setattr(jinja2.Template, "render", render)


@pytest.fixture(autouse=True)
def view_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    """Every template rendered during the test is checked; an offence fails the test."""
    guard = Guard()
    guard.install(monkeypatch)
    yield guard
    if guard.refused:
        pytest.fail("screens must render from views (issue 10, item 4):\n"
                    + "\n".join(sorted(set(guard.refused))))
