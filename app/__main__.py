"""Command line: ``python -m app {migrate,demo,serve,run}`` (``--workers N``: N processes)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys
from dataclasses import replace
from typing import Any

from app.settings import Settings, SettingsError


def _demo(settings: Settings) -> bool:
    from app.db.engine import open_database
    from app.db.mapping import start_mappers
    from app.demo.load import load_demo
    from app.factory import utc_now

    async def go() -> bool:
        start_mappers()
        db = open_database(settings.database_url)
        try:
            async with db.writing() as session:
                return await load_demo(session, utc_now())
        finally:
            await db.dispose()

    return asyncio.run(go())


def _set_password(settings: Settings, store: str, personnel_no: str, password: str) -> str:
    """Give a person a new PIN or password (checked against their role's policy)."""
    from sqlalchemy import select, update

    from app.auth import PasswordPolicyError, hash_password
    from app.db import tables
    from app.db.engine import open_database

    async def go() -> str:
        db = open_database(settings.database_url)
        s, st = tables.staff.c, tables.stores.c
        try:
            async with db.writing() as session:
                row = (await session.execute(select(s.id, s.role).join(
                    tables.stores, st.id == s.store_id).where(
                    st.code == store, s.personnel_no == personnel_no))).first()
                if row is None:
                    return f"No person {personnel_no} at store {store}."
                try:
                    hashed = hash_password(password, row.role)
                except PasswordPolicyError as exc:
                    return f"Not changed: {exc}."
                await session.execute(update(tables.staff).where(s.id == row.id).values(
                    password_hash=hashed))
                await session.execute(tables.staff_sessions.delete().where(
                    tables.staff_sessions.c.staff_id == row.id))
                await session.commit()
                return f"Changed; {personnel_no} at {store} signs in again everywhere."
        finally:
            await db.dispose()

    return asyncio.run(go())


def _serve(settings: Settings, host: str, port: int, https: bool = False,
           workers: int = 1) -> None:
    import uvicorn

    from app.factory import create_app

    tls: dict[str, Any] = {}
    if https:
        from app.tls import local_addresses, self_signed

        cert, key = self_signed(settings.data_dir / "tls")
        tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        for address in local_addresses():
            print(f"HTTPS for phones: https://{address}:{port}/ (self-signed: accept it once)")
    from app.server_protocol import NoDelayH11Protocol

    # uvloop: asyncio's loop in C. A PostgreSQL scan's five round trips each wake the
    # loop for a socket, and every request is read and written through it; measured
    # in benchmarks.scale (README, "Scale-out").
    if workers > 1:  # N processes on one socket; each builds the app from the environment
        uvicorn.run("app.asgi:create", factory=True, workers=workers, host=host, port=port,
                    http=NoDelayH11Protocol, loop="uvloop",
                    timeout_graceful_shutdown=5, proxy_headers=False, log_level="info", **tls)
        return
    uvicorn.run(create_app(settings), host=host, port=port, http=NoDelayH11Protocol,
                loop="uvloop", timeout_graceful_shutdown=5, proxy_headers=False,
                log_level="info", **tls)


def _local_postgres() -> str:
    """A throwaway PostgreSQL cluster for this run (as the tests start one), stopped and
    removed when the command ends; returns its database's URL."""
    import atexit

    from app.local_postgres import start_cluster

    cluster = start_cluster()
    atexit.register(cluster.stop)
    cluster.psql("CREATE DATABASE storepick")
    print(f"Local PostgreSQL on port {cluster.port} (removed when this command ends).")
    return cluster.url("storepick")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("demo", help="load the demo stores, staff, catalog and orders")
    for name in ("serve", "run"):
        p = sub.add_parser(name, help="serve the app" + (" after migrate + demo" if name == "run"
                                                         else ""))
        p.add_argument("--host", default="0.0.0.0")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--https", action="store_true",
                       help="serve HTTPS with a self-signed certificate (camera on phones)")
        p.add_argument("--workers", type=int, default=1,
                       help="app processes on the one port (PostgreSQL only when above 1)")
        p.add_argument("--local-postgres", action="store_true",
                       help="start a throwaway local PostgreSQL when DATABASE_URL is not set")
    p = sub.add_parser("set-password", help="set a person's PIN or password (asked for)")
    p.add_argument("store")
    p.add_argument("personnel_no")
    args = parser.parse_args(argv)
    if getattr(args, "local_postgres", False) and not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _local_postgres()  # the workers read it too
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"storepick will not start: {exc}", file=sys.stderr)
        return 2
    workers = getattr(args, "workers", 1)
    if workers < 1:
        print(f"storepick will not start: --workers must be 1 or more, not {workers}.",
              file=sys.stderr)
        return 2
    if workers > 1 and settings.is_sqlite:
        print("storepick will not start: --workers above 1 needs PostgreSQL (DATABASE_URL="
              "postgresql://…, or --local-postgres); SQLite serves one process.",
              file=sys.stderr)
        return 2
    if args.command == "set-password":
        import getpass

        secret = getpass.getpass("New PIN or password: ")
        if secret != getpass.getpass("Again: "):
            print("The two did not match; nothing changed.", file=sys.stderr)
            return 1
        message = _set_password(settings, args.store, args.personnel_no, secret)
        print(message)
        return 0 if message.startswith("Changed") else 1
    if args.command in ("migrate", "run"):
        from app.db.migrate import upgrade
        upgrade(settings.database_url)
    if args.command in ("demo", "run"):
        loaded = _demo(settings)
        print("Demo data loaded." if loaded else "Demo data already present.")
    if args.command == "run":
        from app.demo.catalog import demo_staff
        from app.tls import local_addresses

        if settings.public_base_url is None:  # the demo: links that open on a phone
            base = lan_base_url(local_addresses(), args.port, https=args.https)
            settings = replace(settings, public_base_url=base)
            os.environ["STOREPICK_PUBLIC_BASE_URL"] = base  # the workers read it too
        print(sign_ins(demo_staff(), args.port, settings.public_base_url))
    if args.command in ("serve", "run"):
        _serve(settings, args.host, args.port, args.https, workers)
    return 0


def lan_base_url(addresses: list[str], port: int, *, https: bool = False) -> str:
    """The address a phone on this machine's network opens: its first non-loopback
    IPv4 address (the machine itself reaches it too), else 127.0.0.1."""
    reachable = [a for a in addresses if not ipaddress.ip_address(a).is_loopback]
    return f"{'https' if https else 'http'}://{(reachable or ['127.0.0.1'])[0]}:{port}"


def sign_ins(staff: list, port: int = 8000,  # type: ignore[type-arg]
             public_url: str | None = None) -> str:
    lines = ["", f"Demo sign-ins, store MSK-001 (http://localhost:{port}/login):"]
    if public_url:
        lines.append(f"From a phone on this network: {public_url}/login "
                     f"(customer links use {public_url})")
    lines += [f"  {s.role:<11} {s.personnel_no:<6} PIN/password: {s.pin:<14} ({s.language})"
              for s in staff]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
