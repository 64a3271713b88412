"""A reference OMS for demos: pushes orders to the store and receives its events.

``python -m sync.simulator --port 8001 --app http://127.0.0.1:8000`` serves
``POST /events`` (deduplicated on ``event_id``, sequence checked per order),
a page at ``/`` with what arrived, and every ``--every`` seconds pushes a
signed order made of products from the store's catalog; now and then it
sends a newer version of an earlier order, a cancellation, or the same
version again (which the store acknowledges and ignores).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import logging
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sync.code_audit import CodeAudit
from sync.customer_inbox import CustomerInbox, CustomerThread, InboxLedger
from sync.marking_fake import MarkingFake, mounted
from sync.receiver import EventLedger, Faults, ReceiverApp
from sync.signing import signed_request_headers

log = logging.getLogger("storepick.simulator")


class OrderPusher:
    """Sends signed orders to the app's ``/api/v1``; remembers what it sent."""

    def __init__(self, app_url: str, store: str, secret: str, *, every: float,
                 rand: random.Random | None = None) -> None:
        self.app_url, self.store = app_url.rstrip("/"), store
        self.secret, self.every = secret, every
        self.rand = rand or random.Random()
        self.answers: Counter[str] = Counter()
        # oms id -> version, lines, fulfilment
        self.sent: dict[str, tuple[int, list[dict[str, Any]], str]] = {}
        self.catalog: list[dict[str, Any]] = []
        self.inbox: CustomerInbox | None = None  # told who each pushed order is for
        self.nothing_picked: list[str] = []  # filled by the receiver: orders to cancel

    async def call(self, http: httpx.AsyncClient, method: str, path: str,
                   payload: Any = None) -> httpx.Response:
        body = b"" if payload is None else json.dumps(payload).encode()
        url = f"{self.app_url}/api/v1/stores/{self.store}{path}"
        headers = {"Content-Type": "application/json",
                   **signed_request_headers(self.secret, int(time.time()), method, url, body)}
        return await http.request(method, url, content=body, headers=headers)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            while True:
                try:
                    await self.step(http)
                except httpx.HTTPError as exc:
                    self.answers[f"app unreachable ({type(exc).__name__})"] += 1
                await asyncio.sleep(self.every)

    async def step(self, http: httpx.AsyncClient) -> None:
        if not self.catalog:
            response = await self.call(http, "GET", "/catalog")
            if self.inbox is not None:
                self.inbox.names.update({p["sku"]: p["name_en"] for p in response.json()})
            self.catalog = [p for p in response.json() if p["stock"] > 0]
            if not self.catalog:
                return
        await self.cancel_nothing_picked(http)
        roll = self.rand.random()
        if self.sent and roll < 0.15:
            await self._revise(http)
        elif self.sent and roll < 0.22:
            await self._cancel(http)
        elif self.sent and roll < 0.30:
            oms_id = self.rand.choice(list(self.sent))
            await self._put(http, oms_id, *self.sent[oms_id])  # a retry: ignored
        else:
            oms_id = f"SIM-{int(time.time() * 1000) % 10**9:09d}"
            fulfilment = self.rand.choice(["delivery", "collect"])
            await self._put(http, oms_id, 1, self._lines(fulfilment), fulfilment)

    async def cancel_nothing_picked(self, http: httpx.AsyncClient) -> None:
        """As a real OMS would: an order the store finished with nothing picked has nothing
        to deliver, so it is cancelled (and the customer refunded)."""
        while self.nothing_picked:
            try:  # another caller (the pusher's round, a test) may take it first
                oms_id = self.nothing_picked.pop(0)
            except IndexError:
                break
            response = await self.call(http, "POST", f"/orders/{oms_id}/cancel",
                                       {"reason": "nothing could be picked"})
            self.answers[_outcome("cancel (nothing picked)", response)] += 1
            self.sent.pop(oms_id, None)

    def _lines(self, fulfilment: str) -> list[dict[str, Any]]:
        """A few products the store may sell for ``fulfilment`` (its sale policy, as the
        catalog says: no alcohol or tobacco for delivery in a Russian store)."""
        allowed = [p for p in self.catalog if fulfilment in p.get("fulfilments", [fulfilment])]
        products = self.rand.sample(allowed, k=min(len(allowed), self.rand.randint(2, 6)))
        return [{"sku": p["sku"], "quantity": self.rand.choice([500, 800, 1200])
                 if p["unit"] == "weight" else self.rand.randint(1, 3)} for p in products]

    async def _put(self, http: httpx.AsyncClient, oms_id: str, version: int,
                   lines: list[dict[str, Any]], fulfilment: str) -> None:
        due = datetime.now(UTC) + timedelta(minutes=self.rand.choice([30, 45, 60, 90]))
        name = self.rand.choice(["Анна", "Пётр", "Мария", "Илья"])
        payload = {"version": version, "due_at": due.isoformat(), "lines": lines,
                   "customer_name": name, "customer_phone": "+7 999 000-00-00",
                   "fulfilment": fulfilment,
                   # the same four customers come back: substitutes learn their answers
                   "customer_id": SIM_CUSTOMERS[name]}
        if fulfilment == "collect":
            payload["note"] = "Заберу после 19:00"
        response = await self.call(http, "PUT", f"/orders/{oms_id}", payload)
        self.answers[_outcome("PUT", response)] += 1
        if response.status_code == 200:
            self.sent[oms_id] = (version, lines, fulfilment)
            if self.inbox is not None:
                self.inbox.order_sent(oms_id, f"{payload['customer_name']}, "
                                      f"{payload['customer_phone']}", str(payload["fulfilment"]))

    async def _revise(self, http: httpx.AsyncClient) -> None:
        oms_id = self.rand.choice(list(self.sent))
        version, lines, fulfilment = self.sent[oms_id]
        taken = {line["sku"] for line in lines}
        extra = [line for line in self._lines(fulfilment)[:1] if line["sku"] not in taken]
        await self._put(http, oms_id, version + 1, [*lines, *extra], fulfilment)

    async def _cancel(self, http: httpx.AsyncClient) -> None:
        oms_id = self.rand.choice(list(self.sent))
        response = await self.call(http, "POST", f"/orders/{oms_id}/cancel",
                                   {"reason": "the customer cancelled"})
        self.answers[_outcome("cancel", response)] += 1
        self.sent.pop(oms_id, None)


SIM_CUSTOMERS = {"Анна": "sim-anna", "Пётр": "sim-petr", "Мария": "sim-maria", "Илья": "sim-ilya"}


def _outcome(kind: str, response: httpx.Response) -> str:
    if response.status_code == 200:
        return f"{kind} {response.json().get('status')}"
    return f"{kind} {response.status_code}"


def ledger_page(ledger: EventLedger, extra: str = "") -> str:
    """A plain page: counts per type, duplicates, gaps, the last events."""
    snap = ledger.snapshot()
    types = "".join(f"<tr><td>{html.escape(t)}</td><td>{n}</td></tr>"
                    for t, n in sorted(snap["types"].items()))
    with ledger.lock:
        recent = list(ledger.recent)[:20]
    rows = "".join(
        f"<tr><td>{html.escape(str(e['order_id']))}</td><td>{e['sequence']}</td>"
        f"<td>{html.escape(str(e['type']))}</td><td>{html.escape(str(e['occurred_at']))}</td>"
        "</tr>" for e in recent)
    gaps = "".join(f"<li>{html.escape(g)}</li>" for g in snap["gaps"][-20:]) or "<li>none</li>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' "
        "content='5'><meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>OMS simulator</title><style>body{font-family:sans-serif;margin:1rem}"
        "td,th{padding:.2rem .6rem;text-align:left;vertical-align:top}"
        "table{border-collapse:collapse}.customers td{border-top:1px solid #ccc}"
        "td{overflow-wrap:anywhere}.customers td:first-child,.code{white-space:nowrap}"
        ".link a,blockquote a{display:inline-block;padding:.6rem 0}"
        "blockquote{margin:.2rem 0;padding:.4rem .6rem;background:#eef3ee;"
        "border-radius:.6rem}.code{font-size:1.4rem;letter-spacing:.15em}"
        "@media(max-width:700px){.customers,.customers tr,.customers td{display:block}"
        ".customers th{display:none}}</style></head><body>"
        f"<h1>OMS simulator</h1>{extra}<p>Events applied: <b>{snap['applied']}</b> · "
        f"duplicates ignored: <b>{snap['duplicates']}</b> · sequence gaps: "
        f"<b>{len(snap['gaps'])}</b></p><h2>Per type</h2><table>{types}</table>"
        f"<h2>Gaps</h2><ul>{gaps}</ul><h2>Last events</h2><table><tr><th>order</th>"
        f"<th>seq</th><th>type</th><th>occurred</th></tr>{rows}</table></body></html>")


def audit_section(audit: CodeAudit) -> str:
    """Marked units: codes handed over plus codes returned against codes picked."""
    snap = audit.snapshot()
    bad = "".join(
        f"<li style='color:#b00020'><b>{html.escape(r['order'])}</b>: picked {r['picked']}, "
        f"handed over {r['handed']}, returned {r['returned']}; missing "
        f"{html.escape(', '.join(r['missing'])) or '—'}; unexpected "
        f"{html.escape(', '.join(r['extra'])) or '—'}</li>" for r in snap["mismatches"])
    return (f"<h2>Marked units at settlement</h2><p data-settled='{snap['settled']}'>"
            f"Orders settled: <b>{snap['settled']}</b> · code mismatches: "
            f"<b data-mismatches='{len(snap['mismatches'])}'>{len(snap['mismatches'])}</b></p>"
            + (f"<ul>{bad}</ul>" if bad else ""))


def customers_section(threads: list[CustomerThread], limit: int = 30) -> str:
    """Per order: the customer, their link and pickup code, and the messages as sent."""
    rows = "".join(_customer_row(t) for t in threads[:limit]) or (
        "<tr><td colspan='5'>No orders yet.</td></tr>")
    return ("<h2>Customers: what the OMS sent them</h2><table class='customers'><tr>"
            "<th>order</th><th>customer</th><th>customer link</th><th>pickup code</th>"
            f"<th>messages</th></tr>{rows}</table>")


def _customer_row(t: CustomerThread) -> str:
    e = html.escape
    link = (f"<a href='{e(t.link, quote=True)}'>{e(t.link)}</a>" if t.link
            else "<i>none yet: sent when a substitute is offered</i>")
    code = (f"<b class='code'>{e(t.pickup_code)}</b>" if t.pickup_code
            else "<i>home delivery: no code</i>" if t.fulfilment == "delivery"
            else "<i>none yet: sent when the order is packed</i>")
    sms = "".join(f"<blockquote>{_linked(m.text_ru, m.link)}<br><small>"
                  f"{_linked(m.text_en, m.link)}</small></blockquote>" for m in t.messages)
    return (f"<tr data-order='{e(t.order_id, quote=True)}'><td>{e(t.order_id)}</td>"
            f"<td>{e(t.customer) or '—'}<br><small>{e(t.fulfilment)}</small></td>"
            f"<td class='link'>{link}</td><td>{code}</td><td>{sms or '—'}</td></tr>")


def _linked(text: str, url: str | None) -> str:
    """The message with its link made tappable, as a phone shows an SMS."""
    escaped = html.escape(text)
    if not url:
        return escaped
    return escaped.replace(html.escape(url),
                           f"<a href='{html.escape(url, quote=True)}'>{html.escape(url)}</a>")


def simulator_app(pusher: OrderPusher | None, secret: str) -> ReceiverApp:
    ledger = InboxLedger()
    if pusher is not None:
        pusher.inbox = ledger.inbox
        ledger.nothing_picked = pusher.nothing_picked  # one list: the receiver adds, it cancels

    def page() -> str:
        answers = "" if pusher is None else "".join(
            f"<li>{html.escape(k)}: {n}</li>" for k, n in sorted(pusher.answers.items()))
        return ledger_page(ledger, audit_section(ledger.codes)
                           + customers_section(ledger.inbox.newest_first())
                           + f"<h2>Orders pushed to the store</h2><ul>{answers}</ul>")

    async def start_pushing() -> None:
        if pusher is not None:
            asyncio.get_running_loop().create_task(pusher.run(), name="order-pusher")

    return ReceiverApp(ledger, Faults(), secret, page=page, on_startup=start_pushing)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m sync.simulator")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--app", default="http://127.0.0.1:8000", help="the storepick app")
    parser.add_argument("--store", default="MSK-001")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between pushes")
    parser.add_argument("--no-push", action="store_true", help="only receive events")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    secret = os.environ.get("STOREPICK_OMS_SECRET", "dev-oms-secret")
    pusher = None if args.no_push else OrderPusher(args.app, args.store, secret,
                                                   every=args.every)
    # The national marking system's code check and a local module, faked under /marking
    # (STOREPICK_MARKING_URL=http://127.0.0.1:8001/marking/api/v4/true-api/codes/check).
    fake = MarkingFake(os.environ.get("STOREPICK_MARKING_TOKEN", ""))
    uvicorn.run(mounted(fake, simulator_app(pusher, secret)), host=args.host, port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()
