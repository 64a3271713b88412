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


def test_runs_services_import_no_sqlalchemy() -> None:
    """The runs services reach storage only through their ports (app.services.ports):
    no SQLAlchemy, no tables, no engine or SQL unit of work."""
    modules = [ROOT / "app" / "services" / name
               for name in ("runs.py", "run_records.py", "ports.py")]

    def forbidden(module: str) -> bool:
        return (module.split(".")[0] == "sqlalchemy" or module.startswith("app.db.tables")
                or module in {"app.db.engine", "app.db.uow"})

    offenders = {}
    for path in modules:
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names |= {f"{node.module}.{alias.name}" for alias in node.names}
        if bad := sorted(n for n in names if forbidden(n)):
            offenders[path.name] = bad
    assert offenders == {}

OOS_SERVICES = ("app/services/oos.py", "app/services/substitutions.py",
                "app/services/proposal_photos.py", "app/services/late_find.py")


def storage_imports(source: str) -> set[str]:
    """What a module imports of SQLAlchemy, the tables and the SQL session side."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        else:
            continue
        found |= {n for n in names if n.split(".")[0] == "sqlalchemy"
                  or n.startswith(("app.db.tables", "app.db.engine", "app.db.uow"))}
    return found


def test_oos_services_import_no_sqlalchemy() -> None:
    """The out-of-stock loop, substitutions and their photos reach storage through the
    ports (app.services.ports) only: no SQLAlchemy, no tables, no session."""
    offenders = {name: storage_imports((ROOT / name).read_text(encoding="utf-8"))
                 for name in OOS_SERVICES}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert storage_imports("from app.db import tables\nimport sqlalchemy.orm\n"
                           "from app.db.tables_oos import likely_out\n") == {
        "app.db.tables", "sqlalchemy.orm", "app.db.tables_oos", "app.db.tables_oos.likely_out"}


HANDOVER_AND_INBOUND = ("app/services/handover.py", "app/services/inbound.py",
                        "app/services/ports_handover.py")


def test_handover_and_inbound_services_import_no_sqlalchemy() -> None:
    """Packing, handover and what the OMS sends reach storage through their ports
    (app.services.ports_handover) only: no SQLAlchemy, no tables, no session."""
    offenders = {name: storage_imports((ROOT / name).read_text(encoding="utf-8"))
                 for name in HANDOVER_AND_INBOUND}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert storage_imports("from app.db.uow import UnitOfWork\n"
                           "from sqlalchemy.exc import IntegrityError\n") == {
        "app.db.uow", "app.db.uow.UnitOfWork", "sqlalchemy.exc",
        "sqlalchemy.exc.IntegrityError"}


FLOOR_SERVICES = ("app/services/arrival.py", "app/services/pace.py",
                  "app/services/supervision.py", "app/services/stores.py",
                  "app/services/ports_floor.py", "app/services/records_floor.py")


def test_floor_services_import_no_sqlalchemy() -> None:
    """Pickup check-in, pace, the supervisor's actions and a store's settings reach
    storage through their ports (app.services.ports_floor) only: no SQLAlchemy, no
    tables, no session."""
    offenders = {name: storage_imports((ROOT / name).read_text(encoding="utf-8"))
                 for name in FLOOR_SERVICES}
    assert {k: v for k, v in offenders.items() if v} == {}
    # Nor the SQL repositories.
    repositories = {name: {n for n in imported_names(ROOT / name) if n.startswith("app.db")}
                    for name in FLOOR_SERVICES}
    assert {k: v for k, v in repositories.items() if v} == {}


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names
