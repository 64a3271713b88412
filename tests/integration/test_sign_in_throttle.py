"""Sign-in resists guessing without letting anyone lock a colleague out (issue #18, item 3).

Failures are counted in the database per account, per client and per store;
beyond a few free ones each attempt waits a doubling delay (capped), checked
before the PIN. A device that signed in to an account before is counted apart,
so an attacker's failures elsewhere do not keep the person out of their shift.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import update

from app import auth
from app.db import tables
from app.factory import create_app
from app.settings import Settings
from tests.integration.test_substitution_http import CookieJarSwap
from tests.support.people import Person
from tests.support.shop import NOW

WRONG = "Wrong personnel number or PIN."
SLOW = "Too many wrong attempts."


async def attempt(client: Any, store: str, number: str, pin: str) -> Any:
    person = Person(CookieJarSwap(client), "picker")  # a fresh device: no cookies
    person.store, person.number = store, number
    return await person.sign_in(pin=pin)


async def test_unknown_accounts_and_wrong_pins_get_the_same_answer_even_when_slowed(
        client: Any, clock: Any) -> None:
    real = [await attempt(client, "MSK-001", "1002", "0000") for _ in range(6)]
    clock.now += timedelta(hours=2)  # a fresh window for the client and the store
    ghost = [await attempt(client, "MSK-001", "7777", "0000") for _ in range(6)]
    for a, b in zip(real, ghost, strict=True):
        assert (a.status_code, WRONG in a.text, SLOW in a.text) == \
               (b.status_code, WRONG in b.text, SLOW in b.text)
    assert [r.status_code for r in real] == [401] * 5 + [429]
    assert real[-1].headers["retry-after"] == "1"


async def test_one_client_spraying_pins_across_accounts_is_slowed(
        client: Any, clock: Any) -> None:
    answers = []
    for pin in ("0000", "1234", "2468", "4321"):
        for number in ("1001", "1002", "3001", "5001"):
            answers.append((await attempt(client, "MSK-001", number, pin)).status_code)
    # four tries per account stay under each account's free attempts, but the
    # client's eleventh failure waits, whichever account it aims at
    assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}


async def test_the_delay_doubles_and_never_exceeds_the_cap(client: Any, clock: Any) -> None:
    waits = []
    for _ in range(14):
        response = await attempt(client, "MSK-001", "1002", "0000")
        if response.status_code == 429:
            waits.append(int(response.headers["retry-after"]))
            clock.now += timedelta(seconds=waits[-1])
            response = await attempt(client, "MSK-001", "1002", "0000")
        assert response.status_code == 401
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) <= auth.CLIENT_RULE.cap.total_seconds()
    clock.now += auth.CLIENT_RULE.cap
    assert (await Person(client, "picker2").sign_in()).status_code == 303


async def test_an_attacker_cannot_keep_a_supervisor_out_of_their_shift(
        client: Any, clock: Any) -> None:
    supervisor = Person(client, "supervisor")
    assert (await supervisor.sign_in()).status_code == 303  # this tablet is now known
    assert (await supervisor.post("/logout")).status_code in (303, 204)
    for _ in range(40):  # anonymous guesses from the same store network
        await attempt(client, "MSK-001", supervisor.number, "0000")
    assert (await attempt(client, "MSK-001", supervisor.number, "super-5001")).status_code \
        == 429  # a new device waits, even with the right password ...
    assert (await supervisor.sign_in()).status_code == 303  # ... the supervisor's does not


async def test_the_budget_is_shared_by_every_app_process(
        client: Any, clock: Any, db_url: str) -> None:
    for _ in range(5):
        assert (await attempt(client, "MSK-001", "1002", "0000")).status_code == 401
    other = create_app(Settings(environment="development", database_url=db_url,
                                run_relay=False), clock=clock)
    async with AsyncTestClient(app=other) as second_process:
        assert (await attempt(second_process, "MSK-001", "1002", "0000")).status_code == 429


async def test_a_supervisor_with_a_short_secret_is_told_so_and_kept_out(
        client: Any, db: Any, shop: Any) -> None:
    async with db.writing() as session:
        await session.execute(update(tables.staff).where(
            tables.staff.c.id == shop.staff["supervisor"]).values(
            password_hash=auth.hash_password("5001")))
        await session.commit()
    wrong = await attempt(client, "MSK-001", "5001", "0000")
    assert wrong.status_code == 401 and WRONG in wrong.text
    right = await attempt(client, "MSK-001", "5001", "5001")
    assert right.status_code == 403 and "at least 10 characters" in right.text
    assert "sp_session" not in right.headers.get("set-cookie", "")


def test_the_password_policy_asks_supervisors_and_admins_for_more() -> None:
    for role, password, ok in (("picker", "1234", True), ("supervisor", "123456789", False),
                               ("admin", "admin-demo", True), ("picker", "12", False)):
        try:
            auth.hash_password(password, role)
        except auth.PasswordPolicyError:
            assert not ok
        else:
            assert ok


async def test_the_slow_hash_runs_off_the_event_loop(db: Any, shop: Any, monkeypatch: Any
                                                     ) -> None:
    real = auth._verify

    def slow(stored: str, password: str) -> bool:
        time.sleep(0.3)
        return real(stored, password)

    monkeypatch.setattr(auth, "_verify", slow)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    try:
        token = await auth.sign_in(db, auth.Attempt("MSK-001", "1001", "1111", "192.0.2.1"),
                                   now=NOW, session_lifetime=timedelta(hours=1))
    finally:
        running.cancel()
    assert token and ticks >= 15  # the loop kept turning while the hash was computed


async def test_set_password_applies_the_policy_and_ends_the_sessions(
        client: Any, db_url: str) -> None:
    from app.__main__ import _set_password
    from tests.support.threads import in_a_thread

    settings = Settings(environment="development", database_url=db_url)
    supervisor = Person(client, "supervisor")
    assert (await supervisor.sign_in()).status_code == 303
    assert in_a_thread(lambda: _set_password(settings, "MSK-001", "5001", "1234")) \
        .startswith("Not changed")
    assert in_a_thread(lambda: _set_password(settings, "MSK-001", "5001", "a-longer-secret")) \
        .startswith("Changed")
    client.app.state.session_cache.forget(client.cookies.get("sp_session", ""))
    assert (await supervisor.get("/board/", follow_redirects=False)).status_code in (302, 303)
    assert (await supervisor.sign_in(pin="a-longer-secret")).status_code == 303
