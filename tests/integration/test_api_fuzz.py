"""A schema-driven fuzzer over the OMS API: nothing it sends may get a 500.

Schemathesis reads the app's own OpenAPI schema and generates requests for every
``/api/v1`` operation, both fitting the schema (positive) and breaking it
(negative: wrong types, values past the bounds, missing fields...). Each request is
signed like the OMS signs it, so it reaches validation and the database. Half of
the requests are steered to the seeded store and its real SKUs, so bodies that pass
validation go on to be written. Every answer must be below 500, carry the API's
error shape when it is a 4xx, and never show SQL or a driver's message.

Bounded to a fixed number of examples per run (``EXAMPLES``) so it fits CI; run with
``STOREPICK_FUZZ_EXAMPLES=2000`` for a longer hunt.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis.core import NOT_SET
from schemathesis.generation import GenerationMode

from app.factory import create_app
from app.settings import Settings
from sync.signing import signed_request_headers
from tests.support.oms import SECRET

EXAMPLES = int(os.environ.get("STOREPICK_FUZZ_EXAMPLES", "200"))
KNOWN_SKUS = ["milk", "kefir", "water", "bread", "bananas", "pizza", "beer"]
LEAKS = re.compile(r"sqlalchemy|asyncpg|sqlite|psycopg|traceback|select |insert |update "
                   r"|delete from|violates|\[sql|integrity|overflow", re.IGNORECASE)


def api_strategies(schema_json: dict[str, Any]) -> list[Any]:
    schema = schemathesis.openapi.from_dict(schema_json)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op.as_strategy(generation_mode=mode)
            for op in operations if op.path.startswith("/api/v1/")
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]


def steer(body: Any, draw_sku: Any) -> Any:
    """Point lines, products and levels at SKUs the seeded store sells."""
    if isinstance(body, dict):
        for key in ("lines", "levels", "products"):
            items = body.get(key)
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict) and "sku" in item:
                        item["sku"] = draw_sku()
    return body


def send(client: TestClient[Any], method: str, path: str, body: Any) -> Any:
    if body is None:
        content = b""
    elif isinstance(body, bytes | str):
        content = body.encode() if isinstance(body, str) else body
    else:
        content = json.dumps(body).encode()
    headers = {"Content-Type": "application/json",
               **signed_request_headers(SECRET, int(time.time()), method, path, content)}
    return client.request(method, path, content=content, headers=headers)


def check(response: Any, method: str, path: str, content: Any) -> None:
    where = f"{method} {path} {json.dumps(content, default=repr)[:400]!s}"
    assert response.status_code < 500, f"{response.status_code} for {where}: {response.text[:300]}"
    assert not LEAKS.search(response.text), f"internals leaked for {where}: {response.text[:300]}"
    if response.status_code >= 400:
        errors = response.json()["errors"]
        assert errors and all(set(e) == {"field", "message"} for e in errors), response.text


@pytest.fixture
def api(db_url: str, shop: Any, tmp_path: Path) -> Any:
    settings = Settings(environment="development", database_url=db_url, run_relay=False,
                        data_dir=tmp_path)
    with TestClient(app=create_app(settings)) as client:
        yield client


def test_no_generated_request_gets_a_server_error_or_sees_sql(api: TestClient[Any]) -> None:
    strategies = api_strategies(api.get("/schema/openapi.json").json())
    assert len(strategies) == 10  # 5 operations, positive and negative

    @seed(18)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=False, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies), steered=st.booleans(), data=st.data())
    def run(case: Any, steered: bool, data: Any) -> None:
        params = dict(case.path_parameters or {})
        body = case.body if case.body is not NOT_SET else None
        if steered:
            params["store"] = "MSK-001"
            body = steer(body, lambda: data.draw(st.sampled_from(KNOWN_SKUS)))
        path = case.operation.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe="") or "-")
        method = case.method.upper()
        check(send(api, method, path, body), method, path, body)

    run()
