"""Regression tests for the practice review: each reproduces one finding, then pins the fix."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from practice_helpers import NOW, NOW_TEXT, PYTHON, ROOT, cli_env, library, record
from rich.console import Console
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
import cvquiz.practice.store as store_module
from cvquiz.cli.app import app
from cvquiz.clock import day_start, study_day
from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import Phase, Rating, Scheduler
from cvquiz.practice.session import SessionOptions, Summary, start_session
from cvquiz.practice.stats import parse_at
from cvquiz.practice.store import UndoRefused, open_store
from cvquiz.render.practice import render_summary

QUESTIONS = library().questions
KEYS = [q.key for q in QUESTIONS]
SCHED = Scheduler(fuzz=False)
LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path):
    with open_store(home, now=NOW) as s:
        yield s


def run(home: Path, args: list[str], text: str = "", *, now: str = NOW_TEXT):
    env: dict[str, str | None] = {**cli_env(home, now=now), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


def one_error(result) -> str:
    """The single line a user error prints (exit 2, no traceback)."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return lines[0]


def log(home: Path) -> list[tuple[str, int]]:
    with open_store(home, now=NOW) as s:
        return [(r.key.split("/")[1], int(r.rating)) for r in reversed(s.reviews())]


# --------------------------------------------------------------------------- 1. closed stdin


@pytest.mark.parametrize(
    ("args", "code", "err"),
    [
        (["practice", "--limit", "1"], 0, ""),
        (["practice", "--typed", "--limit", "1"], 0, ""),
        (
            ["reset"],
            2,
            "cvquiz: error: reset: no terminal to confirm on; run `cvquiz reset --yes` to clear progress\n",
        ),
    ],
)
def test_closed_stdin_is_no_input_not_a_traceback(home: Path, args, code, err) -> None:
    command = " ".join([PYTHON, "-m", "cvquiz", *args]) + " <&-"
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, cwd=ROOT,
                          env=cli_env(home), timeout=60)  # fmt: skip
    assert (done.returncode, done.stderr) == (code, err)
    if code == 0:
        assert "No cards rated this time." in done.stdout
        assert log(home) == []


# --------------------------------------------------------------------------- 2. read-only db


def _read_only_connect(monkeypatch) -> None:
    """Every connection opens the file read-only, as SQLite does for a file without write access."""
    real = sqlite3.connect

    def connect(target, *args, **kwargs):
        if kwargs.get("uri"):
            return real(target, *args, **kwargs)
        return real(f"{Path(target).resolve().as_uri()}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(store_module.sqlite3, "connect", connect)


def test_a_read_only_database_is_reported_before_the_first_card(home: Path, monkeypatch) -> None:
    assert run(home, ["practice", "--limit", "1"], "\n3\n").exit_code == 0
    with monkeypatch.context() as patch:
        _read_only_connect(patch)
        message = (
            f"cvquiz: error: {home / 'progress.db'}: the progress database is read-only; "
            "cvquiz cannot record progress there"
        )
        for args in (
            ["practice"],
            ["practice", "--retention", "0.8", "--save"],
            ["reset", "--yes"],
        ):
            result = run(home, args, "\n3\n")
            assert one_error(result) == message, args
        # Reading needs no write access.
        stats = run(home, ["stats", "--json"])
        assert stats.exit_code == 0, stats.output
        assert json.loads(stats.output)["reviews"] == 1
        history = run(home, ["history", "--json"])
        assert history.exit_code == 0, history.output
        assert [r["number"] for r in json.loads(history.output)] == [1]
    assert log(home) == [("what-is-resnet", 3)]


def _drop_root_write_override() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file permissions do not apply")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


@pytest.mark.parametrize("folder_too", [False, True])
def test_a_read_only_file_for_real(home: Path, folder_too: bool) -> None:
    prefix = _drop_root_write_override()
    assert run(home, ["practice", "--limit", "1"], "\n3\n").exit_code == 0
    path = home / "progress.db"
    path.chmod(0o444)
    if folder_too:
        home.chmod(0o555)
    try:
        done = subprocess.run([*prefix, PYTHON, "-m", "cvquiz", "practice"], input="\n3\n",
                              capture_output=True, text=True, cwd=ROOT, env=cli_env(home), timeout=60)  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""  # no card was shown
        assert done.stderr == (
            f"cvquiz: error: {path}: the progress database is read-only; "
            "cvquiz cannot record progress there\n"
        )
        stats = subprocess.run([*prefix, PYTHON, "-m", "cvquiz", "stats", "--json"],
                               capture_output=True, text=True, cwd=ROOT, env=cli_env(home), timeout=60)  # fmt: skip
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["reviews"] == 1
    finally:
        home.chmod(0o755)
        path.chmod(0o644)


# --------------------------------------------------------------------------- 3. removed cards


def test_the_summary_counts_only_the_sessions_questions(store) -> None:
    # Q1 is rated, then leaves the bank: a session over the rest must not count it.
    record(store, KEYS[0], Rating.GOOD, now=NOW, scheduler=SCHED, session_id="old")
    later = NOW + timedelta(minutes=5)
    session = start_session(
        QUESTIONS[1:], store, clock=lambda: later, options=SessionOptions(fuzz=False), tz=UTC
    )
    session.rate(Rating.EASY)
    summary = session.summary()
    assert summary.next_due == later + timedelta(days=8)
    assert summary.due_tomorrow == 0


def test_nothing_due_names_the_next_due_card_of_the_selection_only(home: Path) -> None:
    assert run(home, ["practice", "--new", "1"], "\n4\n").exit_code == 0  # Q1: due in 8 days
    result = run(home, ["practice", "--new", "1", "--topic", "mobilenet"], "")
    assert result.exit_code == 0, result.output
    assert "Next card due" not in result.output
    result = run(home, ["practice", "--new", "1"], "")
    assert "Next card due in 8d." in result.output


# --------------------------------------------------------------------------- 4. corrupt rows


@pytest.mark.parametrize(
    ("sql", "what", "commands"),
    [
        ("UPDATE cards SET state = '{bad'", f"the saved state of card {KEYS[0]}", ["stats", "practice"]),
        ("UPDATE cards SET state = '{}'", f"the saved state of card {KEYS[0]}", ["stats", "practice"]),
        ("UPDATE cards SET state = replace(state, '+00:00', '')", f"the saved state of card {KEYS[0]}", ["stats", "practice"]),
        ("UPDATE reviews SET reviewed_at = 'yesterday'", f"review 1 of card {KEYS[0]}", ["stats", "history"]),
    ],
)  # fmt: skip
def test_damaged_rows_are_one_error_naming_the_file_and_the_card(
    home: Path, sql, what, commands
) -> None:
    assert run(home, ["practice", "--limit", "1"], "\n3\n").exit_code == 0
    db = sqlite3.connect(home / "progress.db")
    db.execute(sql)
    db.commit()
    db.close()
    path = home / "progress.db"
    for command in commands:
        line = one_error(run(home, [command], "\n3\n"))
        assert line.startswith(f"cvquiz: error: {path}: {what} is damaged ("), (command, line)
        assert line.endswith("); fix or move the file aside to start afresh")


@pytest.mark.parametrize(
    ("name", "value", "option"), [("retention", "abc", "retention 0.9"), ("retention", "5", "retention 0.9"),
                                  ("new_per_day", "-3", "new 10"), ("new_per_day", "x", "new 10")],
)  # fmt: skip
def test_a_damaged_saved_setting_is_one_error(home: Path, name, value, option) -> None:
    with open_store(home, now=NOW) as s:
        s.set_setting(name, value)
    line = one_error(run(home, ["practice"], "q\n"))
    assert line == (
        f"cvquiz: error: {home / 'progress.db'}: the saved setting {name} = '{value}' is damaged; "
        f"save a new one, e.g. --{option} --save"
    )


# --------------------------------------------------------------------------- 5. far-future --at


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
def test_an_instant_outside_datetimes_range_is_one_error(home: Path, at: str) -> None:
    assert one_error(run(home, ["stats", "--at", at])) == (
        f"cvquiz: error: --at: '{at}' is out of range (years 1-9999)"
    )


def test_the_last_representable_day_still_works(home: Path) -> None:
    result = run(home, ["stats", "--at", "9999-12-31"])
    assert result.exit_code == 0, result.output
    assert (
        "Predicted recall on 9999-12-31, no more reviews: 0% (0/40 cards studied)" in result.output
    )


# --------------------------------------------------------------------------- 6. u with nothing to undo


def test_undo_with_nothing_to_undo_keeps_the_answer_and_the_rating_prompt(home: Path) -> None:
    # Easy: the card graduates (Good would bring its next learning step back in the session)
    result = run(home, ["practice", "--limit", "1"], "\nu\n4\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("Nothing to undo in this session.") == 1
    assert out.count("Q1 · resnet") == 1  # the card was not drawn again
    assert out.index("Answer") < out.index("Nothing to undo") < out.index("→ Q1 easy")
    assert log(home) == [("what-is-resnet", 4)]


# --------------------------------------------------------------------------- 7. undo after a skip


def test_undo_takes_back_the_last_action_a_skip_included(store) -> None:
    """`u` undoes the newest action, whatever it was: here the skip, then the two ratings."""
    session = start_session(
        QUESTIONS[:2], store, clock=lambda: NOW, options=SessionOptions(fuzz=False), tz=UTC
    )
    session.rate(Rating.AGAIN)  # Q1 -> again later
    session.rate(Rating.AGAIN)  # Q2 -> again later
    assert session.skip().key == KEYS[0]
    assert store.skipped(NOW.date()) == {KEYS[0]}
    assert session.undo().item.key == KEYS[0]  # the skip: Q1 is back, at the front
    assert store.skipped(NOW.date()) == set() and session.current.key == KEYS[0]
    assert session.undo().item.key == KEYS[1]
    assert session.undo().item.key == KEYS[0]
    assert [(it.key, it.kind) for it in session.queue] == [(KEYS[0], "new"), (KEYS[1], "new")]
    assert store.reviews() == [] and session.undo() is None


def test_undoing_a_skip_says_the_card_is_back(home: Path) -> None:
    result = run(home, ["practice", "--limit", "2"], "\n1\n\n1\ns\nu\nu\nq\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("Skipped Q1 until tomorrow.") < out.index(
        "Undid the skip of Q1; here it is again."
    )
    assert out.index("Undid the skip of Q1") < out.index("Undid again on Q2; here it is again.")
    assert log(home) == [("what-is-resnet", 1)]


# --------------------------------------------------------------------------- 8. undo across sessions


def test_undo_is_refused_once_another_session_rated_the_card(home: Path) -> None:
    with open_store(home, now=NOW) as a, open_store(home, now=NOW) as b:
        first = record(b, KEYS[0], Rating.GOOD, now=NOW, scheduler=SCHED, session_id="B")
        later = NOW + timedelta(minutes=10)
        second = record(a, KEYS[0], Rating.GOOD, now=later, scheduler=SCHED, session_id="A")
        assert second.after.phase == Phase.REVIEW
        with pytest.raises(UndoRefused) as err:
            b.undo_review(first.review_id, replay=SCHED.replay)
        assert str(err.value) == (
            f"{home / 'progress.db'}: card {KEYS[0]} was rated again after review "
            f"{first.review_id} (another session); that review stands"
        )
        assert b.card_state(KEYS[0]) == second.after
        assert [r.id for r in b.reviews()] == [second.review_id, first.review_id]


def test_a_refused_undo_is_a_note_and_the_session_goes_on(store) -> None:
    from cvquiz.cli.keys import LineInput
    from cvquiz.cli.tutor import run as tutor_run

    session = start_session(
        QUESTIONS[:2], store, clock=lambda: NOW, options=SessionOptions(fuzz=False), tz=UTC
    )
    session.rate(Rating.GOOD)
    record(store, KEYS[0], Rating.GOOD, now=NOW + timedelta(minutes=10), scheduler=SCHED,
                        session_id="other")  # fmt: skip
    console = Console(width=80, record=True, force_terminal=False)
    import io

    tutor_run(session, console=console, keys=LineInput(io.StringIO("u\n\nu\n4\n")))
    text = console.export_text()
    # At the question prompt and at the rating prompt: the note, then the same card goes on.
    assert (
        text.count("Cannot undo: another session has rated that card since; its rating stands.")
        == 2
    )
    assert text.count("Q2 · resnet") == 1
    assert [r.key for r in reversed(store.reviews())] == [KEYS[0], KEYS[0], KEYS[1]]
    assert len(session.rated) == 2


def test_rewriting_states_from_the_log_also_fixes_the_first_review_date(store) -> None:
    record(store, KEYS[0], Rating.GOOD, now=NOW - timedelta(days=3), scheduler=SCHED,
                        session_id="s")  # fmt: skip
    store._db.execute("UPDATE cards SET first_review = ?", ("2026-11-25T12:00:00.000000Z",))
    assert store.first_reviews_since(NOW) == 1  # counted as one of today's new cards
    store.rebuild_states(replay=SCHED.replay, write=True)
    assert store.first_reviews_since(NOW) == 0
    assert store.first_reviews_since(NOW - timedelta(days=3)) == 1


# --------------------------------------------------------------------------- smaller bugs


@pytest.mark.parametrize("n", ["0", "-1"])
def test_history_limit_must_be_positive(home: Path, n: str) -> None:
    assert run(home, ["practice", "--limit", "2"], "\n3\n\n3\n").exit_code == 0
    assert one_error(run(home, ["history", "-n", n])) == (
        f"cvquiz: error: --limit: {n} must be at least 1"
    )
    result = run(home, ["history", "-n", "1", "--json"])
    assert [r["number"] for r in json.loads(result.output)] == [2]


def test_at_a_date_means_the_start_of_that_local_study_day() -> None:
    now = datetime(2026, 11, 25, 20, tzinfo=UTC)  # 12:00 in Los Angeles
    assert parse_at("2026-12-10", now=now, tz=LA) == datetime(2026, 12, 10, 12, tzinfo=UTC)
    assert parse_at("2026-12-10T09:00", now=now, tz=LA) == datetime(2026, 12, 10, 17, tzinfo=UTC)
    assert parse_at("2026-12-10T09:00Z", now=now, tz=LA) == datetime(2026, 12, 10, 9, tzinfo=UTC)
    assert parse_at("2026-11-25", now=now, tz=LA) == datetime(2026, 11, 25, 12, tzinfo=UTC)
    # 2026-11-26T01:00Z is still the 25th's study day in Los Angeles (17:00 local).
    late = datetime(2026, 11, 26, 1, tzinfo=UTC)
    assert parse_at("2026-11-25", now=late, tz=LA) == datetime(2026, 11, 25, 12, tzinfo=UTC)
    with pytest.raises(CvquizError, match=r"^--at: 2026-11-24 is in the past"):
        parse_at("2026-11-24", now=late, tz=LA)


def test_at_uses_the_local_zone_by_default(monkeypatch, home: Path) -> None:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    assert parse_at("2026-12-10", now=NOW) == datetime(2026, 12, 10, 12, tzinfo=UTC)
    env = {"TZ": "America/Los_Angeles"}
    result = CliRunner().invoke(app, ["stats", "--json", "--at", "2026-12-10"],
                                env={**cli_env(home), **env, "CVQUIZ_BANK": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["at"] == "2026-12-10T12:00:00+00:00"


def test_empty_queue_says_why(home: Path) -> None:
    off = run(home, ["practice", "--new", "0"])
    assert off.output.splitlines()[0] == (
        "Nothing to practise now: no card is due and new cards are off (--new 0)."
    )
    # Only skipped cards left in the selection (Q16 and Q19 are the cards tagged "training").
    assert run(home, ["practice", "--tag", "training"], "s\ns\n").exit_code == 0
    skipped = run(home, ["practice", "--tag", "training"])
    assert skipped.output.splitlines()[0] == (
        "Nothing to practise now: no card is due and the rest are skipped until tomorrow."
    )
    tomorrow = "2026-11-26T12:00:00+00:00"
    done = run(home, ["practice", "--tag", "training"], "\n4\n\n4\n", now=tomorrow)
    assert done.exit_code == 0, done.output
    studied = run(home, ["practice", "--tag", "training"], now=tomorrow)
    assert studied.output.splitlines()[:2] == [
        "Nothing to practise now: no card is due and every card has been studied.",
        "Next card due in 8d.",
    ]


# --------------------------------------------------------------------------- weak tests made firm


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0s"), (59.4, "59s"), (75, "1m 15s"), (3725, "1h 02m")]
)
def test_summary_duration(seconds: float, text: str) -> None:
    console = Console(width=80, record=True, force_terminal=False)
    summary = Summary(session_id="s", cards=1, reviews=1, ratings={"good": 1}, skipped=0,
                      seconds=seconds, interrupted=False, next_due=None, due_tomorrow=0)  # fmt: skip
    render_summary(console, summary, now=NOW)
    assert f"1 card · 1 review · {text}" in console.export_text()


@pytest.mark.parametrize(
    ("zone", "moment", "day"),
    [
        (UTC, datetime(2026, 11, 25, 3, 59, tzinfo=UTC), date(2026, 11, 24)),
        (UTC, datetime(2026, 11, 25, 4, 0, tzinfo=UTC), date(2026, 11, 25)),
        (UTC, datetime(2026, 11, 25, 4, 1, tzinfo=UTC), date(2026, 11, 25)),
        # Los Angeles is UTC-8 in November: its 04:00 is 12:00 UTC.
        (LA, datetime(2026, 11, 25, 11, 59, tzinfo=UTC), date(2026, 11, 24)),
        (LA, datetime(2026, 11, 25, 12, 1, tzinfo=UTC), date(2026, 11, 25)),
        (LA, datetime(2026, 11, 26, 7, 0, tzinfo=UTC), date(2026, 11, 25)),  # 23:00 local
        (ZoneInfo("Asia/Kolkata"), datetime(2026, 11, 24, 22, 29, tzinfo=UTC), date(2026, 11, 24)),
        (ZoneInfo("Asia/Kolkata"), datetime(2026, 11, 24, 22, 31, tzinfo=UTC), date(2026, 11, 25)),
    ],
)
def test_study_day_rolls_over_at_four_local(zone, moment: datetime, day: date) -> None:
    assert study_day(moment, tz=zone) == day


def test_day_start_in_utc_and_other_zones() -> None:
    assert day_start(date(2026, 11, 25), tz=UTC) == datetime(2026, 11, 25, 4, tzinfo=UTC)
    assert day_start(date(2026, 11, 25), tz=LA) == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert day_start(date(2026, 7, 1), tz=LA) == datetime(2026, 7, 1, 11, tzinfo=UTC)  # PDT
    assert day_start(date(2026, 11, 25), tz=ZoneInfo("Asia/Kolkata")) == datetime(
        2026, 11, 24, 22, 30, tzinfo=UTC
    )


def test_study_day_defaults_to_the_local_zone(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    assert study_day(datetime(2026, 11, 25, 11, 59, tzinfo=UTC)) == date(2026, 11, 24)
    assert study_day(datetime(2026, 11, 25, 12, 1, tzinfo=UTC)) == date(2026, 11, 25)
    assert day_start(date(2026, 11, 25)) == datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_new_cards_of_the_evening_count_for_the_local_day(store) -> None:
    # 23:00 in Los Angeles is 07:00 UTC the next day: still the same study day there.
    evening = datetime(2026, 11, 26, 7, tzinfo=UTC)
    first = start_session(
        QUESTIONS,
        store,
        clock=lambda: evening,
        options=SessionOptions(new_per_day=2, fuzz=False),
        tz=LA,
    )
    first.rate(Rating.EASY)
    first.rate(Rating.EASY)
    morning = datetime(2026, 11, 26, 11, 59, tzinfo=UTC)  # 03:59 local: same study day
    assert (
        start_session(
            QUESTIONS,
            store,
            clock=lambda: morning,
            options=SessionOptions(new_per_day=2, fuzz=False),
            tz=LA,
        ).queue
        == []
    )
    after = datetime(2026, 11, 26, 12, 1, tzinfo=UTC)  # 04:01 local: a new day
    queue = start_session(
        QUESTIONS,
        store,
        clock=lambda: after,
        options=SessionOptions(new_per_day=2, fuzz=False),
        tz=LA,
    ).queue
    assert [it.key for it in queue] == KEYS[2:4]


def test_a_failed_rating_writes_neither_row(store, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(store_module.Store, "_put_card", staticmethod(broken))
        with pytest.raises(CvquizError, match=r"progress database error: disk I/O error$"):
            record(store, KEYS[0], Rating.GOOD, now=NOW, scheduler=SCHED, session_id="s")
    assert store.reviews() == [] and store.card_states() == {}
    raw = sqlite3.connect(store.path)
    assert raw.execute("SELECT COUNT(*) FROM reviews").fetchone() == (0,)
    assert raw.execute("SELECT COUNT(*) FROM cards").fetchone() == (0,)


def test_ratings_survive_a_connection_closed_mid_session(home: Path) -> None:
    s = open_store(home, now=NOW)
    session = start_session(
        QUESTIONS[:3], s, clock=lambda: NOW, options=SessionOptions(fuzz=False), tz=UTC
    )
    session.rate(Rating.GOOD)
    session.rate(Rating.EASY)
    s._db.close()  # the process goes away with a card still on screen
    with open_store(home, now=NOW) as again:
        assert [(r.key, r.rating) for r in reversed(again.reviews())] == [
            (KEYS[0], Rating.GOOD), (KEYS[1], Rating.EASY),
        ]  # fmt: skip
        assert again.card_states() == again.rebuild_states(replay=SCHED.replay)
        assert again.card_state(KEYS[1]).due == NOW + timedelta(days=8)


def test_two_connections_interleaved_record_every_review(home: Path) -> None:
    a = open_store(home, now=NOW)
    b = open_store(home, now=NOW)
    t = NOW
    steps = [(a, 0, Rating.GOOD), (b, 1, Rating.AGAIN), (b, 0, Rating.GOOD), (a, 1, Rating.GOOD),
             (a, 2, Rating.EASY), (b, 0, Rating.HARD)]  # fmt: skip
    for i, (who, n, rating) in enumerate(steps):
        t = NOW + timedelta(minutes=10 * i)
        rec = record(who, KEYS[n], rating, now=t, scheduler=SCHED, session_id=f"s{id(who)}")
        # Each writer reads the other's last write: the card's state is never stale.
        other = b if who is a else a
        assert other.card_state(KEYS[n]) == rec.after
    assert a.review_count() == b.review_count() == 6
    assert [r.key for r in reversed(b.reviews())] == [KEYS[n] for _, n, _ in steps]
    assert a.card_states() == b.card_states() == a.rebuild_states(replay=SCHED.replay)
    assert a.card_state(KEYS[0]).reps == 3
    a.close()
    b.close()
