"""OPTIONS on every registered route answers without a server error (issue #18, item 6).

Litestar answers OPTIONS itself, but the route's guards still run; the session
middleware skipped OPTIONS, so a guard reading the user raised and every
guarded route answered 500 with a traceback.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.routes import HTTPRoute

from tests.support.people import Person

_PARAM = re.compile(r"\{(\w+):(\w+)\}")


def concrete(path: str) -> str:
    return _PARAM.sub(lambda m: "1" if m.group(2) == "int" else "x", path)


def every_path(app: Any) -> list[str]:
    paths = sorted({concrete(route.path) for route in app.routes if isinstance(route, HTTPRoute)})
    assert len(paths) > 39  # every staff route, the customer link, the API, the static files
    return paths


async def test_options_on_every_route_never_answers_5xx(client: Any) -> None:
    anonymous = {path: (await client.options(path, follow_redirects=False)).status_code
                 for path in every_path(client.app)}
    supervisor = Person(client, "supervisor")
    assert (await supervisor.sign_in()).status_code == 303
    signed_in = {path: (await client.options(path, follow_redirects=False)).status_code
                 for path in every_path(client.app)}
    failed = {path: (a, s) for path, (a, s) in
              ((p, (anonymous[p], signed_in[p])) for p in anonymous) if a >= 500 or s >= 500}
    assert failed == {}
    assert signed_in["/board"] == 204  # the supervisor passes the guard
