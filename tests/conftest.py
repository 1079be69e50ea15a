"""Shared fixtures: every test runs with its own home directory, no user banks and an 80-column terminal."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]

# Bank caches go to a throwaway folder, even for banks loaded while tests are collected.
os.environ["CVQUIZ_CACHE"] = tempfile.mkdtemp(prefix="cvquiz-test-cache-")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real user directory or the user's banks; an 80-column terminal, in UTC."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CVQUIZ_HOME", str(home))
    monkeypatch.setenv("CVQUIZ_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("CVQUIZ_BANK", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "40")
    # Study days roll over at 04:00 local time: every test runs in UTC unless it sets TZ itself.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return home


@pytest.fixture
def cli():
    """Run the CLI in-process and return the result (stdout and stderr apart)."""
    from cvquiz.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke
