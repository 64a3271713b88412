"""What the OMS tells each customer, built from the events the store sends.

storepick never texts customers: the OMS does (DESIGN.md). For the demo the
simulator plays that part: a ``SubstitutionProposed`` event carries the link the
customer opens to approve or reject a substitute, an ``OrderPacked`` event of a
click & collect order carries the pickup code shown at the counter. The
simulator's page and ``/state`` show them per order, worded as the message the
customer would get.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sync.code_audit import CodeAudit
from sync.receiver import EventLedger

MAX_ORDERS = 200  # the inbox forgets the oldest orders beyond this


@dataclass(frozen=True)
class CustomerMessage:
    kind: str  # "substitute" | "pickup"
    text_ru: str
    text_en: str
    occurred_at: str
    link: str | None = None
    pickup_code: str | None = None


@dataclass
class CustomerThread:
    """One order's messages, and what the customer needs from them."""

    order_id: str
    customer: str = ""  # name and phone, when the simulator pushed the order
    fulfilment: str = ""
    link: str | None = None  # the latest customer link
    pickup_code: str | None = None
    messages: list[CustomerMessage] = field(default_factory=list)


def _is_web_link(url: Any) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme in ("http", "https")


def message_for(envelope: dict[str, Any], names: dict[str, str]) -> CustomerMessage | None:
    """The message a customer gets for this event; None for events they never hear of."""
    kind, order = envelope.get("type"), str(envelope.get("order_id"))
    payload = envelope.get("payload") or {}
    when = str(envelope.get("occurred_at", ""))
    if kind == "SubstitutionProposed" and _is_web_link(payload.get("customer_url")):
        url = str(payload["customer_url"])
        wanted = names.get(str(payload.get("original_sku")), str(payload.get("original_sku")))
        offered = names.get(str(payload.get("sku")), str(payload.get("sku")))
        quantity = payload.get("quantity")
        return CustomerMessage(
            "substitute",
            f"Заказ {order}: «{wanted}» нет в наличии, предлагаем замену «{offered}» "
            f"× {quantity}. Согласуйте или откажитесь: {url}",
            f"Order {order}: {wanted} is out of stock; we offer {offered} × {quantity}. "
            f"Approve or reject: {url}", when, link=url)
    # issue 15: a likely-out product (choose now), a heavier weighed item (keep it?)
    if kind == "SubstituteChoiceOffered" and _is_web_link(payload.get("customer_url")):
        url = str(payload["customer_url"])
        wanted = names.get(str(payload.get("sku")), str(payload.get("sku")))
        return CustomerMessage(
            "substitute",
            f"Заказ {order}: «{wanted}», возможно, закончился. Выберите замену заранее: {url}",
            f"Order {order}: {wanted} may be out of stock. Choose a substitute now: {url}",
            when, link=url)
    if kind == "WeightQuestionAsked" and _is_web_link(payload.get("customer_url")):
        url = str(payload["customer_url"])
        wanted = names.get(str(payload.get("sku")), str(payload.get("sku")))
        grams = int(payload.get("offered_g") or 0)
        return CustomerMessage(
            "substitute",
            f"Заказ {order}: «{wanted}» весит {grams / 1000:.3f} кг, больше заказанного. "
            f"Оставить? {url}",
            f"Order {order}: {wanted} weighs {grams / 1000:.3f} kg, more than ordered. "
            f"Keep it? {url}", when, link=url)
    if kind == "OrderPacked" and payload.get("pickup_code"):
        code = str(payload["pickup_code"])
        given = payload.get("customer_url")
        link = str(given) if _is_web_link(given) else None
        return CustomerMessage(
            "pickup", f"Заказ {order} собран и ждёт вас. Код получения: {code}"
            + (f". Отметьтесь, когда будете в пути и на месте: {link}" if link else ""),
            f"Order {order} is ready for pickup. Your pickup code: {code}"
            + (f". Check in when you are on the way and when you arrive: {link}" if link else ""),
            when, link=link, pickup_code=code)
    return None


class CustomerInbox:
    """Messages per order, newest order first; safe to read while events arrive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threads: OrderedDict[str, CustomerThread] = OrderedDict()
        self.names: dict[str, str] = {}  # sku -> product name, from the store's catalog

    def order_sent(self, order_id: str, customer: str, fulfilment: str) -> None:
        with self.lock:
            thread = self._thread(order_id)
            thread.customer, thread.fulfilment = customer, fulfilment

    def note(self, envelope: dict[str, Any]) -> None:
        """Record the customer's message for an applied event, if it makes one."""
        with self.lock:
            message = message_for(envelope, self.names)
            if message is None:
                return
            thread = self._thread(str(envelope.get("order_id")))
            thread.messages.append(message)
            thread.link = message.link or thread.link
            thread.pickup_code = message.pickup_code or thread.pickup_code

    def _thread(self, order_id: str) -> CustomerThread:
        thread = self.threads.pop(order_id, None) or CustomerThread(order_id)
        self.threads[order_id] = thread  # most recently touched last
        while len(self.threads) > MAX_ORDERS:
            self.threads.popitem(last=False)
        return thread

    def newest_first(self) -> list[CustomerThread]:
        with self.lock:
            return list(reversed(self.threads.values()))

    def as_json(self) -> dict[str, Any]:
        return {t.order_id: asdict(t) for t in self.newest_first()}


@dataclass
class InboxLedger(EventLedger):
    """The receiver's ledger that also fills the customers' inbox (each event once)."""

    inbox: CustomerInbox = field(default_factory=CustomerInbox)
    codes: CodeAudit = field(default_factory=CodeAudit)  # marked units picked vs settled
    # Orders the store finished with nothing picked: the OMS cancels them (the pusher does).
    nothing_picked: list[str] = field(default_factory=list)

    def receive(self, envelope: dict[str, Any]) -> bool:
        fresh = super().receive(envelope)
        if fresh:
            self.inbox.note(envelope)
            self.codes.note(envelope)
            if nothing_picked(envelope):
                self.nothing_picked.append(str(envelope.get("order_id")))
        return fresh

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "customers": self.inbox.as_json(),
                "marking_audit": self.codes.snapshot()}


def nothing_picked(envelope: dict[str, Any]) -> bool:
    """An OrderPicked in which not one unit of any line was picked."""
    if envelope.get("type") != "OrderPicked":
        return False
    lines = (envelope.get("payload") or {}).get("lines") or []
    return bool(lines) and not any(line.get("picked") for line in lines)
