"""A test stand-in for the central OMS talking to the app: it signs every call."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sync.signing import signed_headers, signed_request_headers

SECRET = "dev-oms-secret"


@dataclass
class OmsClient:
    """Acts like the OMS: ``oms.put_order("W-1", version=1, lines={"milk": 2})``."""

    client: Any
    clock: Any
    store: str = "MSK-001"
    secret: str = SECRET
    legacy: bool = False  # sign the old way: timestamp and body only
    sent: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)

    async def send(self, method: str, path: str, payload: Any = None, *,
                   timestamp: int | None = None, headers: dict[str, str] | None = None) -> Any:
        body = payload if isinstance(payload, bytes) else (
            b"" if payload is None else json.dumps(payload).encode())
        ts = int(self.clock.now.timestamp()) if timestamp is None else timestamp
        signing = signed_headers(self.secret, ts, body) if self.legacy else \
            signed_request_headers(self.secret, ts, method, path, body)
        signed = {**signing, "Content-Type": "application/json", **(headers or {})}
        self.sent.append((method, path, body, signed))
        return await self.client.request(method, path, content=body, headers=signed)

    async def replay_last(self, *, method: str | None = None, path: str | None = None) -> Any:
        """Send the last request again, byte for byte, or to another ``method``/``path``."""
        sent_method, sent_path, body, headers = self.sent[-1]
        return await self.client.request(method or sent_method, path or sent_path,
                                         content=body, headers=headers)

    def order_path(self, oms_id: str) -> str:
        return f"/api/v1/stores/{self.store}/orders/{oms_id}"

    async def put_order(self, oms_id: str, *, version: int, lines: dict[str, int],
                        **extra: Any) -> Any:
        payload = {"version": version, "due_at": "2026-11-22T11:00:00+03:00",
                   "customer_name": "Анна", "customer_phone": "+79990000000",
                   "lines": [{"sku": sku, "quantity": q} for sku, q in lines.items()], **extra}
        return await self.send("PUT", self.order_path(oms_id), payload)

    async def cancel(self, oms_id: str, reason: str = "customer changed their mind") -> Any:
        return await self.send("POST", self.order_path(oms_id) + "/cancel", {"reason": reason})
