"""The PWA shell: service worker at the root scope, offline page, health check."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from app.settings import ROOT

STATIC_DIR = ROOT / "static"
PRECACHE = ("css/app.css", "js/feedback.js", "js/answers.js", "js/scan.js", "js/camera.js",
            "js/register-sw.js", "js/offline-queue.js", "css/substitutions.css",
            "vendor/htmx-2.0.11.min.js", "vendor/htmx-ext-sse-2.2.4.js",
            "manifest.webmanifest", "icons/icon-192.png")
DECODER = ("vendor/zxing-wasm-reader-3.1.4.js", "vendor/zxing-wasm-reader-3.1.4.wasm")


class StaticUrls:
    """``/static/<path>?v=<hash>`` so files can be cached for a year and still change."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.directory = directory
        self._hashes: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        digest = self._hashes.get(path)
        if digest is None:
            file = self.directory / path
            data = file.read_bytes() if file.is_file() else b""
            digest = self._hashes[path] = hashlib.sha256(data).hexdigest()[:10]
        return f"/static/{path}?v={digest}"

    def version(self) -> str:
        joined = "".join(self(p) for p in PRECACHE)
        return hashlib.sha256(joined.encode()).hexdigest()[:12]


@cache
def _worker_source() -> str:
    return (STATIC_DIR / "sw.js").read_text(encoding="utf-8")


@get("/sw.js", name="sw", include_in_schema=False)
async def service_worker(request: Request[Any, Any, Any]) -> Response[str]:
    urls: StaticUrls = request.app.state.static_url
    body = (_worker_source()
            .replace("__STATIC_VERSION__", urls.version())
            .replace("__PRECACHE__", json.dumps([urls(p) for p in PRECACHE]))
            .replace("__DECODER__", json.dumps([urls(p) for p in DECODER])))
    return Response(body, media_type="text/javascript", headers={
        "Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@get("/offline", name="offline", include_in_schema=False)
async def offline() -> Template:
    return Template("offline.html", headers={"Cache-Control": "no-cache"})


@get("/healthz", name="health", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}
