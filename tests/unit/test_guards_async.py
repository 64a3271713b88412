"""Every route guard is a coroutine function: Litestar runs a plain function guard in
its thread pool, a thread hop on every request (issue #17: the synchronous role
guard cost a scan more than its checks)."""

from __future__ import annotations

import inspect

from app.factory import create_app
from app.settings import Settings


def test_every_guard_of_every_route_is_async(tmp_path: object) -> None:
    app = create_app(Settings(environment="development",
                              database_url=f"sqlite+aiosqlite:///{tmp_path}/g.db",
                              run_relay=False))
    guards = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for guard in handler.resolve_guards():
                guards[getattr(guard, "__qualname__", repr(guard))] = guard
    assert guards, "no guarded route found"
    sync = sorted(name for name, guard in guards.items()
                  if not inspect.iscoroutinefunction(guard))
    assert sync == []
