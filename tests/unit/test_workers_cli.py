"""`python -m app serve --workers N` refuses what cannot work, saying why, before anything
starts (several processes share live updates and caches only through PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.__main__ import main


@pytest.mark.parametrize(("workers", "reason"), [
    ("2", "--workers above 1 needs PostgreSQL"), ("0", "--workers must be 1 or more, not 0")])
def test_several_workers_on_sqlite_or_none_are_refused_with_the_reason(
        workers: str, reason: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STOREPICK_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    assert main(["serve", "--workers", workers]) == 2
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()  # nothing migrated, nothing served
