"""Reading the national system's code-check answer (picking.marking), and the HTTP
checker (app.marking) against the fake over real HTTP: partial batches, garbage,
clock skew, the cache, batching."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.marking import HttpMarkingChecker, VerdictCache
from picking import marking
from tests.support.marking import TOKEN, MarkingServer
from tests.support.shop import KEFIR, NOW, marking_code

KEY = f"01{KEFIR.zfill(14)}21"
A, B = marking_code(KEFIR, "AAAAAA"), marking_code(KEFIR, "BBBBBB")
KEYS = {A: f"{KEY}AAAAAA", B: f"{KEY}BBBBBB"}


def entry(cis: str, **flags: Any) -> dict[str, Any]:
    values = {"cis": cis, "valid": True, "verified": True, "found": True, "realizable": True,
              "utilised": True, "sold": False, "isBlocked": False, "isOwner": True,
              "errorCode": 0, "expireDate": "2026-12-31T00:00:00.000Z"}
    return {**values, **flags}


def answer(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"code": 0, "codes": list(entries), "reqTimestamp": int(NOW.timestamp() * 1000),
            **top}


@pytest.mark.parametrize(("flags", "status"), [
    ({}, "ok"), ({"valid": False}, "invalid"), ({"errorCode": 3}, "invalid"),
    ({"found": False}, "unknown"), ({"isBlocked": True}, "blocked"), ({"sold": True}, "sold"),
    ({"realizable": False}, "not_realizable"),
    ({"expireDate": "2026-11-21T00:00:00.000Z"}, "expired"), ({"isOwner": False}, "not_owner"),
])
def test_each_flag_gives_its_status(flags: dict[str, Any], status: str) -> None:
    verdicts = marking.read_answer(answer(entry(KEYS[A], **flags)), KEYS, NOW, source="online")
    assert verdicts[A].status == status
    assert verdicts[A].allows is (status == "ok")


@pytest.mark.parametrize("payload", [
    None, [], "ok", {"codes": "all"}, {"code": "0", "codes": []}, {"codes": [1]},
    {"codes": [{"valid": True}]}, {"codes": [entry("x", isBlocked="no")]},
    {"codes": [entry("x", expireDate="soon")]}, {"codes": [entry("x", errorCode=None)]},
])
def test_garbage_is_refused_as_garbled(payload: Any) -> None:
    codes = {"x": "x"}
    with pytest.raises(marking.GarbledAnswer):
        marking.read_answer(payload, codes, NOW, source="online")


def test_an_error_answer_is_the_checker_refusing() -> None:
    with pytest.raises(marking.CheckerRefused):
        marking.read_answer({"code": 5, "description": "down"}, KEYS, NOW, source="online")


def test_a_partial_answer_gives_verdicts_only_for_the_codes_it_names() -> None:
    verdicts = marking.read_answer(answer(entry(KEYS[B]), entry("0199999999999999219")),
                                   KEYS, NOW, source="online")
    assert list(verdicts) == [B]  # A left out; a code we did not ask about ignored


def test_expiry_is_judged_by_our_clock_and_the_skew_is_noted() -> None:
    tomorrow = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00.000Z")
    ahead = int((NOW + timedelta(days=3)).timestamp() * 1000)  # the checker's clock
    verdicts = marking.read_answer(answer(entry(KEYS[A], expireDate=tomorrow),
                                          reqTimestamp=ahead), KEYS, NOW, source="online")
    assert verdicts[A].status == "ok" and verdicts[A].skew_seconds == 3 * 86400
    assert verdicts[A].expiry == date(2026, 11, 23)


def test_no_answer_follows_the_store_policy() -> None:
    assert marking.unanswered("allow").allows and marking.unanswered("allow").recheck
    assert marking.unanswered("refuse").refuses
    with pytest.raises(ValueError, match="marking policy"):
        marking.unanswered("maybe")


def test_the_cache_forgets_after_its_time_and_beyond_its_size() -> None:
    now = [0.0]
    cache = VerdictCache(ttl=10, size=2, clock=lambda: now[0])
    ok = marking.MarkingVerdict("ok", "online")
    cache.put("a", ok)
    cache.put("b", ok)
    cache.put("c", ok)
    assert cache.get("a") is None and cache.get("b") is ok
    now[0] = 11
    assert cache.get("b") is None


# -- the HTTP checker against the fake --------------------------------------------

@pytest.fixture(scope="module")
def server() -> Iterator[MarkingServer]:
    running = MarkingServer().start()
    yield running
    running.stop()


@pytest.fixture
def fake(server: MarkingServer) -> Any:
    server.fake.reset()
    return server.fake


def checker(server: MarkingServer, **kw: Any) -> HttpMarkingChecker:
    return HttpMarkingChecker(server.online_url, server.local_url, TOKEN,
                              budget_seconds=2.5, **kw)


async def test_a_partial_batch_leaves_the_rest_to_the_local_module(
        server: MarkingServer, fake: Any) -> None:
    fake.modes["online"] = "partial"
    fake.statuses[KEYS[B]] = "sold"
    check = checker(server)
    verdicts = await check.check([A, B], NOW)
    await check.close()
    assert (verdicts[A].status, verdicts[A].source) == ("ok", "online")
    assert (verdicts[B].status, verdicts[B].source) == ("sold", "local")


async def test_answers_are_cached_but_a_handover_recheck_asks_again(
        server: MarkingServer, fake: Any) -> None:
    check = checker(server)
    await check.check([A], NOW)
    await check.check([A], NOW)
    assert fake.requests["online"] == 1
    fake.statuses[KEYS[A]] = "blocked"
    assert (await check.check([A], NOW, fresh=True))[A].status == "blocked"
    await check.close()
    assert fake.requests["online"] == 2


async def test_a_wrong_token_is_no_answer(server: MarkingServer, fake: Any) -> None:
    check = HttpMarkingChecker(server.online_url, None, "wrong", budget_seconds=2.5)
    verdict = (await check.check([A], NOW))[A]
    await check.close()
    assert (verdict.status, verdict.recheck) == ("unanswered", True)


async def test_a_checker_that_is_not_there_is_no_answer() -> None:
    from tests.support.postgres import free_port

    check = HttpMarkingChecker(f"http://127.0.0.1:{free_port()}/check", None,
                               policy="refuse", budget_seconds=2.5)
    verdict = (await check.check([A], datetime.now(UTC)))[A]
    await check.close()
    assert verdict.refuses and verdict.status == "unanswered"


async def test_many_codes_go_in_batches(server: MarkingServer, fake: Any) -> None:
    codes = [marking_code(KEFIR, f"S{n:05d}") for n in range(230)]
    check = checker(server)
    verdicts = await check.check(codes, NOW)
    await check.close()
    assert fake.requests["online"] == 3 and {v.status for v in verdicts.values()} == {"ok"}


@pytest.mark.parametrize(("raw", "asked"), [
    (A, A), (A.replace("\x1d", ""), A), (f"(01){KEFIR.zfill(14)}(21)AAAAAA(93)AbCd", A),
    ("04606203086627Nk7>q'BAAOPf8Kz", "04606203086627Nk7>q'BAAOPf8Kz"),  # a cigarette pack
])
def test_the_checker_is_asked_about_one_form_of_each_unit(raw: str, asked: str) -> None:
    from picking.codes import interpret

    code = interpret(raw)
    assert code.marking_key is not None
    assert marking.check_form(code.marking_key, code.marking_tail, code.raw) == asked
