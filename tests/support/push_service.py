"""A push service on this machine, over real HTTP, for Web Push tests.

It plays the browser vendor's part: it hands out subscriptions (an endpoint, the
browser's P-256 key and auth secret), and for each push it checks the VAPID
Authorization header (an ES256 JWT whose ``aud`` is this service's origin, not
expired, signed by the key in ``k``) and decrypts the aes128gcm body (RFC 8291)
with the subscription's private key, as a browser would. Endpoints named
``gone-*`` answer 410 (the subscription is no more); ``hang-*`` never answer in time.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HANG_SECONDS = 10.0


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    name: str
    payload: dict[str, Any]
    vapid_key: str  # the application server's public key (``k``)
    claims: dict[str, Any]


@dataclass
class PushService:
    url: str = ""
    keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a push was not accepted
    hung: int = 0  # pushes to hang-* endpoints answered after the sender gave up
    # flaky-* endpoints: their first push is answered 503 (the service's bad minute), later
    # ones are taken; how many 503s were answered
    unavailable: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def subscription(self, name: str) -> dict[str, Any]:
        """A browser's ``PushSubscription.toJSON()`` for endpoint ``name``."""
        private = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        self.keys[name] = (private, auth)
        point = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.url}/push/{name}", "expirationTime": None,
                "keys": {"p256dh": b64(point), "auth": b64(auth)}}

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        return list(self.received)

    # -- what a push service checks ---------------------------------------------------

    def check_vapid(self, header: str) -> tuple[str, dict[str, Any]]:
        """The VAPID key and claims of a valid header. Raises ValueError."""
        if not header.startswith("vapid "):
            raise ValueError("no vapid authorization")
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
        token, key = parts["t"], parts["k"]
        head, body, signature = token.split(".")
        if json.loads(unb64(head)).get("alg") != "ES256":
            raise ValueError("not ES256")
        raw = unb64(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
        try:
            public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise ValueError("bad signature") from exc
        claims = json.loads(unb64(body))
        if claims.get("aud") != self.url or int(claims.get("exp", 0)) < time.time():
            raise ValueError(f"bad claims {claims}")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError("no contact")
        return key, claims

    def decrypt(self, name: str, body: bytes, encoding: str) -> dict[str, Any]:
        if encoding != "aes128gcm":
            raise ValueError(f"content encoding {encoding}")
        private, auth = self.keys[name]
        plain = http_ece.decrypt(body, private_key=private, auth_secret=auth,
                                 version="aes128gcm")
        payload: dict[str, Any] = json.loads(plain)
        return payload


def start_push_service() -> tuple[PushService, ThreadingHTTPServer]:
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if name.startswith("hang-"):
                time.sleep(HANG_SECONDS)
                with service.lock:
                    service.hung += 1
                self._answer(201)
                return
            try:
                key, claims = service.check_vapid(self.headers.get("Authorization", ""))
                payload = service.decrypt(name, body, self.headers.get("Content-Encoding", ""))
            except (ValueError, KeyError) as exc:
                with service.lock:
                    service.refused.append(str(exc))
                self._answer(401)
                return
            if name.startswith("gone-"):
                self._answer(410)
                return
            if name.startswith("flaky-"):
                with service.lock:
                    first = service.unavailable == 0
                    service.unavailable += first
                if first:
                    self._answer(503)
                    return
            with service.lock:
                service.received.append(Received(name, payload, key, claims))
            self._answer(201)

        def _answer(self, status: int) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return service, server
