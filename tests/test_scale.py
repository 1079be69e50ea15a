"""Scale: on a generated bank and store, the indexed and SQL-counted screens equal the computation
that read every review and every card, and the indexes keep every row as it was."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cvquiz.bank.model import DIFFICULTIES, Library
from cvquiz.clock import day_start, stamp, study_day
from cvquiz.links import load_bank
from cvquiz.practice import queue as queue_module
from cvquiz.practice import records
from cvquiz.practice.migrations import MIGRATIONS, Migrations, migrate
from cvquiz.practice.queue import build_queue, is_due, queue_from_store
from cvquiz.practice.scheduler import Phase, Rating, Scheduler
from cvquiz.practice.stats import (
    CALENDAR_WEEKS,
    FORECAST_DAYS,
    WEAKEST,
    CardRecall,
    Mastery,
    Stats,
    compute_stats,
    due_cards,
)
from cvquiz.practice.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = sys.modules.setdefault("generate", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(generate)

NOW = generate.NOW
QUESTIONS = 300
REVIEWS = 6_000
ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kathmandu"), ZoneInfo("America/St_Johns")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, Path]:
    """A generated bank of 300 questions and a store of 6,000 reviews, plus reviews that sit
    exactly on (and a microsecond before) the day starts of every zone tested."""
    root = tmp_path_factory.mktemp("scale")
    bank = generate.write_bank(root / "bank.yaml", QUESTIONS)
    # Module-scoped, so before the conftest's per-test folders: its own cache folder here.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CVQUIZ_CACHE", str(root / "cache"))
        library = Library(banks=(load_bank(bank),))
    home = root / "home"
    keys = [q.key for q in library.questions]
    figures = generate.write_store(home, keys, REVIEWS)
    assert figures.reviews == REVIEWS
    edges = []
    for zone in ZONES:
        for back in (0, 1, 5, 30, 83, 84):
            start = day_start(study_day(NOW, tz=zone) - timedelta(days=back), tz=zone)
            for at in (start, start - timedelta(microseconds=1)):
                edges.append((keys[back], 3, stamp(at), None, None, None, "edge", 2, stamp(at), 0.9, 0))  # fmt: skip
    db = sqlite3.connect(home / "progress.db", isolation_level=None)
    db.executemany(
        "INSERT INTO reviews (card_key, rating, reviewed_at, duration_ms, typed_answer, coverage, "
        "session_id, phase_before, due_after, retention, cram) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        edges,
    )
    db.close()
    return library, home


@pytest.fixture
def store(world):
    _, home = world
    with open_store(home, now=NOW, read_only=True) as s:
        yield s


# --------------------------------------------------------------------------- the computation it replaces


def _old_mastery(name, questions, recall, states) -> Mastery:
    return Mastery(
        name=name,
        cards=len(questions),
        reviewed=sum(1 for q in questions if q.key in states),
        recall=sum(recall[q.key] for q in questions) / len(questions) if questions else 0.0,
    )


def old_compute_stats(
    library: Library, store: Store, *, now: datetime, at: datetime | None, tz: tzinfo
) -> Stats:
    """compute_stats as it was before issue 12: every card and every review read and parsed."""
    scheduler = Scheduler(fuzz=False)
    states = store.card_states()
    questions = library.questions
    moment = at or now
    live = {q.key for q in questions}
    today = study_day(now, tz=tz)
    today_start = day_start(today, tz=tz)
    mine = {k: s for k, s in states.items() if k in live}
    phases = Counter(s.phase for s in mine.values())
    forecast = []
    for offset in range(FORECAST_DAYS):
        end = today_start + timedelta(days=offset + 1)
        start = today_start + timedelta(days=offset)
        if offset == 0:
            n = sum(1 for s in mine.values() if is_due(s, now=now, day_end=end) or s.due < end)
        else:
            n = sum(1 for s in mine.values() if start <= s.due < end)
        forecast.append((today + timedelta(days=offset), n))
    log = store.reviews()
    in_review = [r for r in log if r.phase_before == Phase.REVIEW]
    first_day = today - timedelta(days=CALENDAR_WEEKS * 7 - 1)
    calendar: dict[date, int] = defaultdict(int)
    for r in log:
        day = study_day(r.reviewed_at, tz=tz)
        if first_day <= day <= today:
            calendar[day] += 1
    recall = {q.key: scheduler.retrievability(mine.get(q.key), moment) for q in questions}
    topics = sorted({q.topic for q in questions})
    by_topic = tuple(
        _old_mastery(t, [q for q in questions if q.topic == t], recall, mine) for t in topics
    )
    by_difficulty = tuple(
        _old_mastery(d, [q for q in questions if q.difficulty == d], recall, mine)
        for d in DIFFICULTIES
        if any(q.difficulty == d for q in questions)
    )
    order = {q.key: i for i, q in enumerate(questions)}
    seen = [CardRecall(q, recall[q.key], mine[q.key].lapses) for q in questions if q.key in mine]
    weakest = sorted(seen, key=lambda c: (c.recall, -c.lapses, order[c.question.key]))[:WEAKEST]
    leeches = sorted(
        (c for c in seen if mine[c.question.key].is_leech),
        key=lambda c: (-c.lapses, order[c.question.key]),
    )
    return Stats(
        now=now, moment=moment, at=at, reviews=len(log),
        new=len(questions) - len(mine), learning=phases[Phase.LEARNING] + phases[Phase.RELEARNING],
        review=phases[Phase.REVIEW], orphans=len(states) - len(mine), forecast=tuple(forecast),
        retention_passed=sum(1 for r in in_review if r.rating != Rating.AGAIN),
        retention_reviews=len(in_review), calendar=dict(calendar), today=today,
        overall=_old_mastery("all", list(questions), recall, mine),
        by_topic=by_topic, by_difficulty=by_difficulty, weakest=tuple(weakest),
        leeches=tuple(leeches), at_day=study_day(at, tz=tz) if at is not None else None,
    )  # fmt: skip


# --------------------------------------------------------------------------- stats


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("days_ahead", [None, 21])
def test_stats_counted_in_sql_equal_the_old_computation(world, store, zone, days_ahead) -> None:
    library, _ = world
    at = None if days_ahead is None else NOW + timedelta(days=days_ahead)
    new = compute_stats(library, store, now=NOW, at=at, tz=zone)
    old = old_compute_stats(library, store, now=NOW, at=at, tz=zone)
    assert new.to_dict() == old.to_dict()
    assert new == old
    # The store is big enough for every part to count: not a comparison of empty screens.
    assert new.reviews > REVIEWS and new.retention_reviews > 1000 and len(new.calendar) > 60
    assert new.orphans > 0 and new.leeches and new.due_today > 10


def test_stats_and_due_cards_read_no_review_and_only_the_due_cards(
    world, store, monkeypatch
) -> None:
    library, _ = world

    def refuse(*args, **kwargs):
        raise AssertionError("a screen read every review")

    monkeypatch.setattr(Store, "reviews", refuse)
    compute_stats(library, store, now=NOW, tz=UTC)
    parsed = []
    real = records.parse_card

    def counting(path, key, text):
        parsed.append(key)
        return real(path, key, text)

    monkeypatch.setattr("cvquiz.practice.store.parse_card", counting)
    due = due_cards(library.questions, store, now=NOW, tz=UTC)
    assert 10 < len(due) < len(parsed) + 1 and len(parsed) < len(store.card_keys()) // 2


def test_a_damaged_phase_is_still_one_error_naming_the_review(tmp_path, world) -> None:
    library, home = world
    copy = tmp_path / "home"
    copy.mkdir()
    (copy / "progress.db").write_bytes((home / "progress.db").read_bytes())
    db = sqlite3.connect(copy / "progress.db", isolation_level=None)
    db.execute("UPDATE reviews SET phase_before = 7 WHERE id = 42")
    db.close()
    from cvquiz.errors import CvquizError

    with open_store(copy, now=NOW, read_only=True) as s:
        with pytest.raises(CvquizError, match=r"progress.db: review 42 of card .* is damaged"):
            compute_stats(library, s, now=NOW, tz=UTC)


# --------------------------------------------------------------------------- queues


def old_queue_from_store(questions, store, *, scheduler, now, new_per_day, limit, cram, tz):
    """queue_from_store's queue as it was: built from every card's state (and, for cram, the
    cards failed today read from the whole log)."""
    day = study_day(now, tz=tz)
    keys = {q.key for q in questions}
    since = day_start(day, tz=tz)
    failed = {r.key for r in store.reviews() if r.rating == Rating.AGAIN and r.reviewed_at >= since}
    return build_queue(
        questions, store.card_states(), now=now, scheduler=scheduler, new_limit=new_per_day,
        new_done_today=store.first_reviews_since(since), limit=limit, cram=cram,
        skipped=store.skipped(day), tz=tz, failed=failed & keys if cram else frozenset(),
    )  # fmt: skip


@pytest.mark.parametrize("cram", [False, True])
@pytest.mark.parametrize("zone", [UTC, ZoneInfo("Asia/Kathmandu")], ids=str)
def test_queues_from_the_due_index_equal_the_queues_from_every_state(
    world, store, cram, zone
) -> None:
    library, _ = world
    scheduler = Scheduler(fuzz=False)
    for questions in (library.questions, library.questions[::7]):
        for moment in (NOW, NOW + timedelta(hours=17), NOW + timedelta(days=3)):
            new, idle = queue_from_store(
                questions, store, scheduler=scheduler, now=moment, new_per_day=10, limit=None,
                cram=cram, tz=zone,
            )  # fmt: skip
            old = old_queue_from_store(
                questions, store, scheduler=scheduler, now=moment, new_per_day=10, limit=None,
                cram=cram, tz=zone,
            )  # fmt: skip
            assert new == old
            assert idle is None and any(it.kind == "new" for it in new) != cram
    old_due = build_queue(
        library.questions, store.card_states(), now=NOW, scheduler=scheduler, new_limit=0, tz=UTC
    )
    assert due_cards(library.questions, store, now=NOW, tz=UTC) == [
        (it.question, it.recall) for it in old_due
    ]


def test_an_empty_queue_still_says_when_the_next_card_is_due(world, store) -> None:
    library, _ = world
    keys = store.card_keys()
    states = store.card_states()
    later = [q for q in library.questions if q.key in keys and states[q.key].due > NOW + timedelta(days=3)]  # fmt: skip
    queue, idle = queue_from_store(
        later[:5], store, scheduler=Scheduler(fuzz=False), now=NOW, new_per_day=10, tz=UTC
    )
    assert queue == [] and idle is not None
    assert idle.next_due == min(states[q.key].due for q in later[:5])
    assert idle.unseen == 0


# --------------------------------------------------------------------------- the indexes


def test_the_due_and_calendar_queries_use_the_indexes(store) -> None:
    def plan(sql: str, *args: object) -> str:
        return " ".join(str(r[-1]) for r in store._db.execute("EXPLAIN QUERY PLAN " + sql, args))

    assert "cards_by_due" in plan(
        "SELECT card_key, state FROM cards WHERE due < ? AND phase = ?", "x", 2
    )
    assert "reviews_by_time" in plan(
        "SELECT COUNT(*) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ?", "a", "b"
    )
    assert "reviews_by_phase" in plan(
        "SELECT COUNT(*) FROM reviews WHERE phase_before = ? AND rating != ?", 2, 1
    )
    assert "cards_by_first_review" in plan(
        "SELECT COUNT(*) FROM cards WHERE first_review >= ?", "x"
    )


def test_the_index_migration_keeps_every_row_as_it_was(tmp_path: Path, world) -> None:
    """An older store (m001, m002 only) full of progress: after the migration, every table holds
    exactly the rows it held, byte for byte, and the indexes are there."""
    _, home = world
    older = Migrations()
    for step in MIGRATIONS:
        if step.__name__ in ("m001_initial", "m002_skips_and_settings"):
            older(step)
    path = tmp_path / "home" / "progress.db"
    path.parent.mkdir()
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, path, now=NOW, migrations=older)
    db.execute("ATTACH DATABASE ? AS src", (str(home / "progress.db"),))
    for table in ("reviews", "cards", "skips", "settings"):
        # the older schema's columns only: later migrations add some (m004: reviews.interview)
        cols = ", ".join(r[1] for r in db.execute(f"PRAGMA main.table_info({table})"))
        db.execute(f"INSERT INTO main.{table} SELECT {cols} FROM src.{table}")  # noqa: S608
    db.execute("DETACH DATABASE src")

    tables = ("reviews", "cards", "skips", "settings")
    # The older schema's columns: later migrations may add columns (m004: reviews.interview).
    columns = {t: ", ".join(r[1] for r in db.execute(f"PRAGMA table_info({t})")) for t in tables}

    def snapshot() -> dict[str, list[tuple]]:
        return {
            t: db.execute(f"SELECT {columns[t]} FROM {t} ORDER BY rowid").fetchall()  # noqa: S608
            for t in tables
        }

    before = snapshot()
    assert len(before["reviews"]) > REVIEWS
    db.close()
    with open_store(path.parent, now=NOW):
        pass
    db = sqlite3.connect(path)
    assert snapshot() == before
    indexes = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {
        "cards_by_due",
        "cards_by_first_review",
        "reviews_by_time",
        "reviews_by_phase",
    } <= indexes
    db.close()


# --------------------------------------------------------------------------- the generator


def test_the_generator_is_deterministic_and_its_figures_are_exact(tmp_path: Path) -> None:
    assert generate.bank_yaml(50) == generate.bank_yaml(50)
    assert generate.bank_yaml(50, seed=1) != generate.bank_yaml(50)
    bank, home = generate.generate(tmp_path / "g", 50, 400)
    loaded = load_bank(bank)
    assert [q.number for q in loaded.questions] == list(range(1, 51))
    with open_store(home, now=NOW, read_only=True) as s:
        assert s.review_count() == 400
        states = s.card_states()
        # Each card's saved state is what its last logged review scheduled.
        for key, state in states.items():
            (last,) = s.reviews(key=key, limit=1)
            assert state.due == last.due_after and state.last_review == last.reviewed_at
            assert state.reps == len(s.reviews(key=key))
    assert queue_module.LEARN_AHEAD == timedelta(minutes=20)
