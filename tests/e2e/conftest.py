"""A real server (uvicorn in a thread) on a real SQLite file, and a real Chromium.

Browser tests are plain (sync) functions: Playwright's sync API must not run
inside an event loop. Each test gets a fresh copy of a migrated database with
the demo store loaded once per session.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

from app.factory import create_app
from app.settings import Settings
from tests.support.postgres import free_port
from tests.support.threads import run_async
from tests.support.view_guard import view_guard  # noqa: F401  (autouse)

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-quic",
                  "--disable-sync"]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "en-US"}


@dataclass
class LiveServer:
    url: str
    database_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(database_url: str, **settings: Any) -> LiveServer:
    port = free_port()
    app = create_app(Settings(environment="development",
                              database_url=database_url, run_relay=False, **settings))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            proxy_headers=False,  # as `python -m app serve`: the app decides
                            timeout_graceful_shutdown=0.3, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", database_url, server, thread)


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.demo.load import load_demo
    from tests.support.shop import NOW

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)

    async def load() -> None:
        start_mappers()
        db = open_database(f"sqlite+aiosqlite:///{path}")
        async with db.writing() as session:
            await load_demo(session, NOW.replace(hour=8))
        await db.dispose()

    run_async(load)
    return path


@pytest.fixture
def live_server(demo_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """The app with the demo store, on a fresh copy of the demo database."""
    path = tmp_path / "live.db"
    shutil.copyfile(demo_template, path)
    server = start_server(f"sqlite+aiosqlite:///{path}")
    yield server
    server.stop()


# Per module, not per session: Playwright's sync API keeps an event loop running in
# this thread while the browser is open, and async tests after it could not run.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    _predicates_without_eval()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _predicates_without_eval() -> None:
    """Let ``wait_for_function("expression")`` run under the app's CSP.

    Playwright evaluates a predicate given as an expression with ``eval``, which
    the Content-Security-Policy (rightly) refuses; given as a function it does
    not. Tests keep writing expressions; they are wrapped into functions here.
    """
    from playwright.sync_api import Page

    original = Page.wait_for_function
    if getattr(original, "csp_safe", False):
        return

    def wait_for_function(self: Any, expression: str, *args: Any, **kw: Any) -> Any:
        text = expression.strip()
        if not (text.startswith(("function", "async ")) or "=>" in text.split("\n", 1)[0]):
            expression = f"() => ({expression})"
        return original(self, expression, *args, **kw)

    wait_for_function.csp_safe = True  # type: ignore[attr-defined]
    Page.wait_for_function = wait_for_function  # type: ignore[method-assign]


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized browser context (its own cookies), and a page in it."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def sign_in(page: Any, base_url: str, personnel_no: str, pin: str,
            store: str = "MSK-001") -> None:
    page.goto(f"{base_url}/login")
    if page.locator("#store[list]").count():  # a chain's page: the store is typed
        page.fill("#store", store)
    else:
        page.check(f"input[name=store][value='{store}']")
    page.fill("#personnel_no", personnel_no)
    page.fill("#pin", pin)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def seeded_database(template: Path, directory: Path,
                    prepare: Callable[[Any, Any], Awaitable[T]]) -> tuple[str, T]:
    """A fresh copy of the migrated database with the test shop (tests/support/shop.py),
    then ``prepare(db, shop)`` for the test's own orders; returns the URL and its result."""
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from tests.support.shop import seed_shop

    path = directory / "shop.db"
    shutil.copyfile(template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def go() -> T:
        start_mappers()
        db = open_database(url)
        try:
            async with db.writing() as session:
                shop = await seed_shop(session)
            return await prepare(db, shop)
        finally:
            await db.dispose()

    return url, run_async(go)


@pytest.fixture
def camera_browser(browser: Any, tmp_path: Path) -> Iterator[Any]:
    """A Chromium of its own whose camera films the file ``tmp_path/camera.y4m``.

    Launched through the session's Playwright (one sync Playwright per thread), as a
    separate browser process with the fake-camera flags.
    """
    video = tmp_path / "camera.y4m"
    flags = [*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
             f"--use-file-for-fake-video-capture={video}", "--use-fake-ui-for-media-stream"]
    camera = browser.browser_type.launch(executable_path=CHROMIUM, args=flags)
    try:
        yield camera, video
    finally:
        camera.close()
