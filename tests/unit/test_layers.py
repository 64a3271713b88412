"""The domain stays pure: picking/ imports no I/O library and no outer layer."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_IN_PICKING = {"__future__", "dataclasses", "datetime", "enum", "typing", "decimal",
                      "re", "calendar", "collections", "functools", "itertools", "math",
                      "string", "abc", "biip", "picking"}
FORBIDDEN_IN_SYNC = {"app", "litestar"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_picking_imports_only_the_standard_library_and_pure_libraries() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) - ALLOWED_IN_PICKING)
        for path in (ROOT / "picking").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_picking_never_reads_the_clock_or_randomness() -> None:
    for path in (ROOT / "picking").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for banned in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time(",
                       "uuid.uuid4(", "random."):
            assert banned not in text, f"{path.name} uses {banned}"


def test_sync_does_not_import_the_app_layer() -> None:
    for path in (ROOT / "sync").rglob("*.py"):
        assert not imported_roots(path) & FORBIDDEN_IN_SYNC, path.name


def test_the_import_check_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom app.db import tables\n")
    assert imported_roots(bad) - ALLOWED_IN_PICKING == {"sqlalchemy", "app"}


def imported_names(source: str) -> set[str]:
    """Every module and name a module imports (absolute imports), dotted."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def storage_imports(source: str) -> set[str]:
    """What a module imports of SQLAlchemy and of app.db (tables, engine, SQL unit of
    work, SQL repositories)."""
    return {n for n in imported_names(source)
            if n.split(".")[0] == "sqlalchemy" or n.split(".")[:2] == ["app", "db"]}


def test_no_service_imports_storage() -> None:
    """Every module of app.services (the use cases, their ports and records) reaches
    storage through a unit of work's repositories: none imports SQLAlchemy, the tables,
    the engine, the SQL unit of work or a SQL repository (issue 10, item 2)."""
    services = sorted((ROOT / "app" / "services").glob("*.py"))
    assert len(services) > 15
    offenders = {path.name: bad for path in services
                 if (bad := storage_imports(path.read_text(encoding="utf-8")))}
    assert offenders == {}
    assert storage_imports("from app.db import tables\nimport sqlalchemy.orm\n"
                           "from app.db.engine import Database\nimport app.dbx\n") == {
        "app.db", "app.db.tables", "sqlalchemy.orm", "app.db.engine", "app.db.engine.Database"}
