"""Command line: ``python -m app {migrate,demo,serve,run}``."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
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


def _serve(settings: Settings, host: str, port: int, https: bool = False) -> None:
    import uvicorn

    from app.factory import create_app

    tls: dict[str, Any] = {}
    if https:
        from app.tls import local_addresses, self_signed

        cert, key = self_signed(settings.data_dir / "tls")
        tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        for address in local_addresses():
            print(f"HTTPS for phones: https://{address}:{port}/ (self-signed: accept it once)")
    uvicorn.run(create_app(settings), host=host, port=port, timeout_graceful_shutdown=5,
                proxy_headers=False, log_level="info", **tls)


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
    p = sub.add_parser("set-password", help="set a person's PIN or password (asked for)")
    p.add_argument("store")
    p.add_argument("personnel_no")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"storepick will not start: {exc}", file=sys.stderr)
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
            settings = replace(settings, public_base_url=lan_base_url(
                local_addresses(), args.port, https=args.https))
        print(sign_ins(demo_staff(), args.port, settings.public_base_url))
    if args.command in ("serve", "run"):
        _serve(settings, args.host, args.port, args.https)
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
