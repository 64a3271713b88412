"""Fixtures: real databases (SQLite and PostgreSQL), the app, a live server, a browser.

Each test that takes ``db_url`` runs once per engine. SQLite gets a fresh file
copied from a migrated template; PostgreSQL gets a fresh database cloned from a
migrated template in a throwaway cluster started once per session. When no
PostgreSQL binaries exist, the PostgreSQL variants are skipped with the reason.
"""

from __future__ import annotations

import inspect
import itertools
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.db.migrate import upgrade
from tests.support.postgres import Cluster, find_bin_dir, start_cluster
from tests.support.threads import in_a_thread

_db_numbers = itertools.count(1)
# Apps built in this process (live servers run in threads) leave the heap alone: freezing
# it (app/heap.py) would keep one test's cycles out of the collector for the rest.
os.environ.setdefault("STOREPICK_SETTLE_HEAP", "0")
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _parse_each_handler_signature_once() -> None:
    """Most tests build an app of their own (their database, their clock), and Litestar
    parses every handler's signature again for each: about 180 handlers, 0.6 ms each, a
    third of an app's 0.3 s. The parse is a pure function of the handler and the names
    its annotations are read in, and its result is frozen, so this test process keeps it
    per (handler, namespace). What an app does with it is unchanged; a server process
    builds one app and never gets here."""
    from litestar.utils.signature import ParsedSignature

    parse = ParsedSignature.from_fn.__func__  # type: ignore[attr-defined]
    parsed: dict[tuple[Any, ...], Any] = {}

    def same_as(fn: Any) -> Any:
        """What the parse reads of ``fn``: a controller's method is bound anew to each
        app's controller (its parse leaves ``self`` out either way); a closure made anew
        per route with no defaults (the OPTIONS handlers) is its code and annotations."""
        if inspect.ismethod(fn):
            return ("bound", fn.__func__)
        if (inspect.isfunction(fn) and fn.__closure__ and not fn.__defaults__
                and not fn.__kwdefaults__):
            return ("code", fn.__code__, tuple((k, id(v)) for k, v in fn.__annotations__.items()))
        return fn

    def from_fn(cls: Any, fn: Any, signature_namespace: dict[str, Any]) -> Any:
        key = (cls, same_as(fn),
               tuple(sorted((k, id(v)) for k, v in signature_namespace.items())))
        if key not in parsed:
            # What the key names by id is kept alive with it: no id is reused meanwhile.
            kept = (fn, tuple(signature_namespace.values()),
                    tuple(getattr(fn, "__annotations__", {}).values()))
            parsed[key] = (parse(cls, fn, signature_namespace), kept)
        return parsed[key][0]

    ParsedSignature.from_fn = classmethod(from_fn)  # type: ignore[method-assign,assignment]


_parse_each_handler_signature_once()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    in_a_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster | None]:
    if find_bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have the PostgreSQL server binaries (apt-get install postgresql)")
        yield None
        return
    cluster = start_cluster()
    cluster.psql("CREATE DATABASE storepick_template")
    in_a_thread(lambda: upgrade(cluster.url("storepick_template")))
    try:
        yield cluster
    finally:
        spare = _spare.pop(cluster.port, None)
        if spare is not None:  # let its clone end before the server goes
            spare.exception()
        cluster.stop(remove=False)
        # A worker's few hundred test databases are 3-4 GB in over 100,000 files: deleting
        # them took 11-14 s at the end of every run, which nothing needs to wait for.
        subprocess.Popen(["rm", "-rf", str(cluster.data_dir.parent)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fresh_sqlite(template: Path, directory: Path) -> str:
    path = directory / f"test-{next(_db_numbers)}.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


def _clone_template(cluster: Cluster) -> str:
    name = f"test_{os.getpid()}_{next(_db_numbers)}"
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE storepick_template")
    return name


# The next test's database, cloned while this test runs: a clone takes about 150 ms, and
# PostgreSQL does it in its own process.
_spare: dict[int, Future[str]] = {}
_cloner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clone")


def fresh_postgres(cluster: Cluster) -> str:
    """A database cloned from the migrated template that no test has used."""
    spare = _spare.pop(cluster.port, None)
    try:
        name = spare.result() if spare is not None else _clone_template(cluster)
    except subprocess.CalledProcessError:  # the spare failed: clone one now, as before
        name = _clone_template(cluster)
    _spare[cluster.port] = _cloner.submit(_clone_template, cluster)
    return cluster.url(name)


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    cluster = request.getfixturevalue("pg_cluster")
    if cluster is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    return fresh_postgres(cluster)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty PostgreSQL database (skipped without the server binaries)."""
    cluster = request.getfixturevalue("pg_cluster")
    if cluster is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    return fresh_postgres(cluster)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite(sqlite_template, tmp_path)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Any]:
    from app.db.engine import open_database
    from app.db.mapping import start_mappers

    start_mappers()
    database = open_database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def shop(db: Any) -> Any:
    from tests.support.shop import seed_shop

    async with db.writing() as session:
        return await seed_shop(session)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.browser)
