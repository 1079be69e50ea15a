"""Card controls (issue 10): suspend, bury, flag, undo of each, the daily review limit, `show`'s
progress; through the session, scripted input, a real terminal and the mark commands."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, timedelta
from pathlib import Path

import pexpect
import pytest
from practice_helpers import NOW, NOW_TEXT, PYTHON, ROOT, cli_env, library, record
from typer.testing import CliRunner

from cvquiz.cli.app import app
from cvquiz.practice.marks import (
    Mark,
    card_summary,
    marks,
    reviews_done_today,
    set_flag,
    set_suspended,
    unskip,
)
from cvquiz.practice.queue import build_queue, queue_from_store
from cvquiz.practice.records import NewReview
from cvquiz.practice.scheduler import Phase, Rating, Scheduler
from cvquiz.practice.session import Flagged, Removed, SessionOptions, start_session
from cvquiz.practice.settings import plan
from cvquiz.practice.store import open_store

QUESTIONS = library().questions
KEYS = [q.key for q in QUESTIONS]
SCHED = Scheduler(fuzz=False)
LATER = NOW + timedelta(days=9)  # cards rated Easy at NOW (8 days) are review cards due then
LATER_TEXT = LATER.isoformat()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path):
    with open_store(home, now=NOW) as s:
        yield s


def run(home: Path, args: list[str], text: str = "", *, now: str = NOW_TEXT, width: int = 80):
    env: dict[str, str | None] = {**cli_env(home, now=now), "CVQUIZ_BANK": None}
    env["COLUMNS"] = str(width)
    return CliRunner().invoke(app, args, input=text, env=env)


def studied(store, n: int, *, rating: Rating = Rating.EASY) -> None:
    """Cards 0..n-1 rated once at NOW: Easy makes each a review card due in 8 days."""
    for key in KEYS[:n]:
        record(store, key, rating, now=NOW, scheduler=SCHED, session_id="past")


def session(store, n: int = 3, *, at=NOW, **options):
    return start_session(
        QUESTIONS[:n], store, clock=lambda: at, options=SessionOptions(fuzz=False, **options),
        tz=UTC, session_id="S",
    )  # fmt: skip


# --------------------------------------------------------------------------- the store


def test_m004_adds_marks_and_the_interview_column(store) -> None:
    tables = {n for (n,) in store._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "marks" in tables
    review = NewReview(KEYS[0], Rating.GOOD, at=NOW, session_id="I", retention=0.9, interview=True)
    store.record_review(review, schedule=SCHED.schedule(KEYS[0], Rating.GOOD, now=NOW))
    record(store, KEYS[1], Rating.GOOD, now=NOW, scheduler=SCHED, session_id="P")
    assert [(r.key, r.interview) for r in store.reviews()] == [(KEYS[1], False), (KEYS[0], True)]
    assert store.reviews()[-1].to_dict()["interview"] is True


def test_marks_are_set_cleared_and_damage_is_one_error(store) -> None:
    assert set_suspended(store, [KEYS[0], KEYS[1], KEYS[0]], True, now=NOW) == KEYS[:2]
    assert set_suspended(store, [KEYS[0]], True, now=NOW) == []  # already
    assert set_flag(store, [KEYS[1], KEYS[2]], 3, now=NOW) == [KEYS[1], KEYS[2]]
    assert marks(store) == {
        KEYS[0]: Mark(suspended=True), KEYS[1]: Mark(suspended=True, flag=3), KEYS[2]: Mark(flag=3)
    }  # fmt: skip
    assert marks(store)[KEYS[1]].color == "green"
    set_suspended(store, KEYS[:2], False, now=NOW)
    set_flag(store, [KEYS[2]], 0, now=NOW)
    assert marks(store) == {KEYS[1]: Mark(flag=3)}  # a row only while something is marked
    store._db.execute("UPDATE marks SET flag = 9")
    with pytest.raises(Exception, match=r"progress.db: the marks of card .* is damaged"):
        marks(store)


def test_reviews_done_today_counts_only_reviews_of_review_cards(store) -> None:
    studied(store, 3)  # new cards: not counted
    record(store, KEYS[3], Rating.GOOD, now=NOW, scheduler=SCHED, session_id="p")  # learning
    record(store, KEYS[3], Rating.GOOD, now=NOW, scheduler=SCHED, session_id="p")  # step: not
    for key in KEYS[:2]:
        record(store, key, Rating.GOOD, now=LATER, scheduler=SCHED, session_id="p")
    assert reviews_done_today(store, NOW - timedelta(hours=1)) == 2
    assert reviews_done_today(store, LATER - timedelta(hours=1)) == 2
    assert reviews_done_today(store, LATER + timedelta(minutes=1)) == 0


# --------------------------------------------------------------------------- the queue


def test_suspended_cards_never_enter_a_queue_cram_included(store) -> None:
    studied(store, 2)
    set_suspended(store, [KEYS[0], KEYS[2]], True, now=NOW)
    for cram in (False, True):
        queue, _ = queue_from_store(QUESTIONS[:4], store, scheduler=SCHED, now=LATER,
                                    new_per_day=10, cram=cram, tz=UTC)  # fmt: skip
        assert [it.key for it in queue] == [KEYS[1], KEYS[3]], cram
    set_suspended(store, KEYS[:4], True, now=NOW)
    queue, idle = queue_from_store(QUESTIONS[:4], store, scheduler=SCHED, now=LATER,
                                   new_per_day=10, tz=UTC)  # fmt: skip
    assert queue == [] and idle is not None and (idle.suspended, idle.unseen) == (4, 0)


def test_the_review_limit_caps_review_cards_only(store) -> None:
    studied(store, 4)
    record(store, KEYS[4], Rating.GOOD, now=LATER, scheduler=SCHED, session_id="p")  # learning
    states = store.card_states()
    queue = build_queue(QUESTIONS[:6], states, now=LATER, scheduler=SCHED, new_limit=1, tz=UTC,
                        review_limit=2)  # fmt: skip
    kinds = [(it.key, it.state.phase if it.state else None) for it in queue]
    assert [p for _, p in kinds].count(Phase.REVIEW) == 2
    assert (KEYS[4], Phase.LEARNING) in kinds and (KEYS[5], None) in kinds  # never capped
    uncapped = build_queue(QUESTIONS[:6], states, now=LATER, scheduler=SCHED, new_limit=1, tz=UTC)
    assert len(uncapped) == len(queue) + 2


def test_the_limit_counts_across_sessions_and_the_empty_queue_says_so(store) -> None:
    studied(store, 5)
    for key in KEYS[:3]:
        record(store, key, Rating.GOOD, now=LATER, scheduler=SCHED, session_id="earlier")
    queue, idle = queue_from_store(QUESTIONS[:5], store, scheduler=SCHED, now=LATER,
                                   new_per_day=0, tz=UTC, reviews_per_day=3)  # fmt: skip
    assert queue == [] and idle is not None
    assert (idle.held, idle.reviews_per_day, idle.reviews_done) == (2, 3, 3)
    queue, _ = queue_from_store(QUESTIONS[:5], store, scheduler=SCHED, now=LATER,
                                new_per_day=0, tz=UTC, reviews_per_day=4)  # fmt: skip
    assert [it.key for it in queue] == [KEYS[3]]  # one left today; equal cards: bank order


def test_reviews_setting_default_save_and_validation(store) -> None:
    assert plan(store).reviews_per_day == 200  # Anki's default
    assert plan(store, reviews_per_day=0).reviews_per_day == 0
    plan(store, reviews_per_day=50, save=True)
    assert plan(store).reviews_per_day == 50
    with pytest.raises(Exception, match=r"--reviews: -1 is negative"):
        plan(store, reviews_per_day=-1)
    store.set_setting("reviews_per_day", "lots")
    with pytest.raises(Exception, match=r"reviews_per_day = 'lots' is damaged.*--reviews 200"):
        plan(store)


# --------------------------------------------------------------------------- the session


def test_undo_takes_back_a_skip_first_and_the_card_comes_back(store) -> None:
    s = session(store)
    s.rate(Rating.AGAIN)  # Q1 comes back after the others
    before = list(s.queue)
    assert s.skip().key == KEYS[1]
    assert store.skipped(NOW.date()) == {KEYS[1]} and s.position == (3, 4)
    undone = s.undo()
    assert isinstance(undone, Removed) and undone.how == "skip" and undone.item.key == KEYS[1]
    assert s.queue == before and store.skipped(NOW.date()) == set()
    assert s.position == (2, 4) and len(store.reviews()) == 1  # the rating still stands
    assert s.undo().rating == Rating.AGAIN and store.reviews() == []


def test_a_skipped_cards_repeats_come_back_with_it(store) -> None:
    s = session(store, 1)
    s.rate(Rating.AGAIN)  # the only card, now its own repeat
    repeat = list(s.queue)
    s.skip()
    assert s.queue == []
    s.undo()
    assert s.queue == repeat and s.current.kind == "again"


def test_suspend_leaves_the_session_and_undo_brings_it_back(store) -> None:
    s = session(store)
    assert s.suspend().key == KEYS[0]
    assert [it.key for it in s.queue] == KEYS[1:3] and marks(store) == {KEYS[0]: Mark(True)}
    s.rate(Rating.EASY)
    assert s.summary().suspended == 1 and s.summary().to_dict()["suspended"] == 1
    s.undo()  # the rating first
    assert [it.key for it in s.queue] == KEYS[1:3]
    undone = s.undo()
    assert isinstance(undone, Removed) and undone.how == "suspend"
    assert [it.key for it in s.queue] == KEYS[:3] and marks(store) == {}


def test_flag_toggles_and_undo_restores_the_flag_before(store) -> None:
    set_flag(store, [KEYS[1]], 4, now=NOW)
    s = session(store)
    flagged = s.flag()
    assert (flagged.before, flagged.after) == (0, 1) and marks(store)[KEYS[0]].color == "red"
    assert s.flag().after == 0 and KEYS[0] not in marks(store)
    s.rate(Rating.EASY)
    assert s.flag().before == 4 and KEYS[1] not in marks(store)  # any flag: off
    assert isinstance(s.undo(), Flagged) and marks(store)[KEYS[1]].color == "blue"
    assert s.current.key == KEYS[1]  # a flag never moves the card
    s.undo()  # the rating
    assert isinstance(s.undo(), Flagged) and marks(store)[KEYS[0]].color == "red"
    assert isinstance(s.undo(), Flagged) and KEYS[0] not in marks(store)
    assert s.undo() is None


# --------------------------------------------------------------------------- scripted input


def test_scripted_keys_bury_undo_suspend_and_flag(home: Path) -> None:
    result = run(home, ["practice", "--limit", "3"], "s\nu\nf\n!\n\n4\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Skipped Q1 until tomorrow." in out
    assert "Undid the skip of Q1; here it is again." in out
    assert "Flagged Q1 red (`cvquiz list --flagged` lists flagged cards)." in out
    assert "Suspended Q1: no session shows it until `cvquiz unsuspend 1`" in out
    assert "→ Q2 easy · next in 8d" in out
    assert "1 card · 1 review · " in out and " · 1 suspended" in out
    with open_store(home, now=NOW) as s:
        assert s.skipped(NOW.date()) == set()
        assert marks(s) == {KEYS[0]: Mark(suspended=True, flag=1)}
    again = run(home, ["practice", "--limit", "1"], "q\n")
    assert "Q3 · " in again.output and "Q1 · " not in again.output  # suspended: never queued


def test_u_at_the_rating_prompt_undoes_a_flag_and_stays_there(home: Path) -> None:
    result = run(home, ["practice", "--limit", "1"], "\nf\nu\n3\n")
    assert result.exit_code == 0, result.output
    assert "Undid the flag of Q1; it has no flag again." in result.output
    assert result.output.count("1 again 1m · 2 hard 6m") == 1  # the same prompt, not redrawn
    assert "→ Q1 good" in result.output


def test_the_empty_queue_names_the_review_limit(home: Path) -> None:
    with open_store(home, now=NOW) as s:
        studied(s, 3)
    first = run(home, ["practice", "--reviews", "2", "--new", "0"], "\n3\n\n3\n", now=LATER_TEXT)
    assert "Practice 2 cards: 2 due, 0 new" in first.output, first.output
    result = run(home, ["practice", "--reviews", "2", "--new", "0"], "", now=LATER_TEXT)
    assert result.exit_code == 0, result.output
    lines = " ".join(result.output.split())
    assert (
        "Nothing to practise now: today's review limit (2 reviews) is reached; 1 more card is due."
        in lines
    )
    assert "More now: --reviews 3 raises the limit for today (add --save to keep it)" in lines
    assert "Practice 1 card: 1 due" in run(home, ["practice", "--reviews", "3", "--new", "0"], "q\n",
                                            now=LATER_TEXT).output  # fmt: skip
    bad = run(home, ["practice", "--reviews", "-5"])
    assert bad.exit_code == 2 and "--reviews: -5 is negative" in bad.output


@pytest.mark.parametrize("width", [60, 80])
def test_key_hints_name_suspend_and_flag_only_where_they_fit(home: Path, width: int) -> None:
    result = run(home, ["practice", "--limit", "1"], "\nq\n", width=width)
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= width
    hints = [line for line in lines if "u undo" in line]
    assert len(hints) == 2
    if width == 80:
        assert hints[0] == " Enter reveal · u undo · s skip · ! suspend · f flag · d demo · q quit"
        assert hints[1] == " 1-4 rate · u undo · s skip · ! suspend · f flag · d demo · q quit"
    else:
        assert all("suspend" not in h for h in hints)


@pytest.mark.slow
def test_single_keys_suspend_flag_and_undo_in_a_terminal(home: Path) -> None:
    child = pexpect.spawn(PYTHON, ["-m", "cvquiz", "practice", "--limit", "2"], cwd=str(ROOT),
                          env=cli_env(home), dimensions=(30, 80), encoding="utf-8", timeout=20)  # fmt: skip
    child.expect("1/2")
    child.send("f")
    child.expect("Flagged Q1 red")
    child.send("!")
    child.expect("Suspended Q1")
    child.expect("2/2")
    child.send("u")
    child.expect("Undid the suspension of Q1; here it is again.")
    child.expect("1/2")
    child.send("s")
    child.expect("Skipped Q1 until tomorrow")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    with open_store(home, now=NOW) as s:
        assert marks(s) == {KEYS[0]: Mark(flag=1)} and s.skipped(NOW.date()) == {KEYS[0]}


# --------------------------------------------------------------------------- the mark commands


def test_mark_commands_change_the_store_and_say_what_they_did(home: Path) -> None:
    out = run(home, ["suspend", "24", "bottleneck-block", "24"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "Suspended Q24 (`cvquiz unsuspend 24` brings it back).",
        "Suspended Q7 (`cvquiz unsuspend 7` brings it back).",
    ]
    assert run(home, ["suspend", "24"]).output == "Q24 was suspended already.\n"
    assert run(home, ["unsuspend", "7"]).output == "Unsuspended Q7: it comes due as scheduled.\n"
    assert run(home, ["flag", "3", "--color", "Green"]).output == "Flagged Q3 green.\n"
    assert run(home, ["flag", "3", "--color", "green"]).output == "Q3 was flagged green already.\n"
    assert run(home, ["bury", "7"]).output == "Buried Q7 until tomorrow.\n"
    assert run(home, ["unbury", "8"]).output == "Q8 was not buried.\n"
    with open_store(home, now=NOW) as s:
        assert marks(s) == {KEYS[23]: Mark(suspended=True), KEYS[2]: Mark(flag=3)}
        assert s.skipped(NOW.date()) == {KEYS[6]}
    assert run(home, ["unbury", "7"]).output == "Unburied Q7: back in today's sessions.\n"
    assert run(home, ["flag", "3", "--off"]).output == "Unflagged Q3.\n"
    with open_store(home, now=NOW) as s:
        assert marks(s) == {KEYS[23]: Mark(suspended=True)} and s.skipped(NOW.date()) == set()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["suspend", "1", "resnet"], "6 questions match 'resnet': 1 what-is-resnet"),
        (["bury", "2", "zzqqxx"], "no question matches 'zzqqxx'"),
        (["flag", "2", "--color", "pink"], "--color: 'pink' is not a flag colour (choose red"),
        (["flag", "2", "--off", "--color", "red"], "--off: give --off or --color, not both"),
        (["unsuspend", "99"], "no question number 99"),
    ],
)
def test_a_bad_question_or_option_is_one_line_and_changes_nothing(home, args, error) -> None:
    result = run(home, args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and error in result.stderr, result.stderr
    assert result.stdout == ""
    if (home / "progress.db").exists():
        with open_store(home, now=NOW) as s:
            assert marks(s) == {} and s.skipped(NOW.date()) == set()


def test_list_suspended_and_flagged(home: Path) -> None:
    assert "No questions match" in run(home, ["list", "--suspended"]).output
    assert not (home / "progress.db").exists()  # listing never creates the store
    run(home, ["suspend", "3", "5"])
    run(home, ["flag", "5", "24"])
    numbers = lambda args: [q["number"] for q in json.loads(run(home, [*args, "--json"]).stdout)]  # noqa: E731
    assert numbers(["list", "--suspended"]) == [3, 5]
    assert numbers(["list", "--flagged"]) == [5, 24]
    assert numbers(["list", "--suspended", "--flagged"]) == [5]
    assert numbers(["list", "--flagged", "--topic", "mobilenet"]) == [24]


# --------------------------------------------------------------------------- show


def test_show_gives_the_cards_progress(home: Path) -> None:
    new = run(home, ["show", "1"])
    assert new.exit_code == 0 and "Progress: new: not studied yet\n" in new.output
    assert not (home / "progress.db").exists()  # read only: a missing store is new cards
    with open_store(home, now=NOW) as s:
        record(s, KEYS[0], Rating.GOOD, now=NOW, scheduler=SCHED, session_id="p")
        record(s, KEYS[0], Rating.GOOD, now=NOW + timedelta(minutes=10), scheduler=SCHED,
               session_id="p")  # fmt: skip
        record(s, KEYS[0], Rating.AGAIN, now=LATER, scheduler=SCHED, session_id="p")
        record(s, KEYS[0], Rating.GOOD, now=LATER + timedelta(minutes=10), scheduler=SCHED,
               session_id="p")  # fmt: skip
        state = s.card_state(KEYS[0])
    run(home, ["flag", "1", "--color", "orange"])
    run(home, ["suspend", "1"])
    out = run(home, ["show", "1"], now=LATER_TEXT)
    due = state.due.astimezone(UTC)
    expected = (
        f"Progress: due {due:%b} {due.day} (in 1d) · stability {state.stability:.1f}d · "
        f"difficulty {state.difficulty:.1f} · 4 reviews · 1 lapse · suspended · flagged orange"
    )
    assert expected in " ".join(out.output.split()), out.output
    data = json.loads(run(home, ["show", "1", "--json"], now=LATER_TEXT).stdout)
    progress = data["progress"]
    assert progress == {
        "studied": True, "phase": "review", "due": state.due.isoformat(),
        "stability": state.stability, "difficulty": state.difficulty, "reps": state.reps,
        "lapses": 1, "reviews": 4, "last_review": (LATER + timedelta(minutes=10)).isoformat(),
        "suspended": True, "flag": "orange", "buried": False,
    }  # fmt: skip
    assert type(progress["reviews"]) is int and type(progress["stability"]) is float
    assert data["key"] == KEYS[0] and data["number"] == 1


def test_show_reads_a_buried_card_and_a_new_one_with_marks(home: Path) -> None:
    run(home, ["bury", "2"])
    run(home, ["flag", "2"])
    out = run(home, ["show", "2"])
    assert "Progress: new: not studied yet · buried until tomorrow · flagged red" in out.output
    with open_store(home, now=NOW) as s:
        summary = card_summary(s, KEYS[1], day=NOW.date())
        assert summary is not None and summary.buried and not summary.studied
        assert card_summary(s, KEYS[5], day=NOW.date()) is None
        assert unskip(s, KEYS[1], NOW.date()) and not unskip(s, KEYS[1], NOW.date())


@pytest.mark.parametrize("damage", ["foreign", "garbage"])
def test_a_damaged_store_leaves_show_with_one_warning(home: Path, damage: str) -> None:
    home.mkdir()
    path = home / "progress.db"
    if damage == "foreign":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE notes (x)")
        db.commit()
        db.close()
    else:
        path.write_bytes(b"not a database at all" * 100)
    before = path.read_bytes()
    out = run(home, ["show", "24"])
    assert out.exit_code == 0, out.output
    assert "Complexity vs standard conv?" in out.stdout and "Progress" not in out.stdout
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("cvquiz: warning: ")
    assert str(path) in out.stderr
    as_json = run(home, ["show", "24", "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["progress"] is None
    assert path.read_bytes() == before  # never written


def test_show_at_60_columns_keeps_each_part_whole(home: Path) -> None:
    with open_store(home, now=NOW) as s:
        studied(s, 1)
    run(home, ["flag", "1"])
    out = run(home, ["show", "1"], width=60).output
    lines = [line.rstrip() for line in out[out.index("Progress:") :].splitlines()[:2]]
    assert lines == [
        "Progress: due Dec 3 (in 8d) · stability 8.3d ·",
        "difficulty 1.0 · 1 review · 0 lapses · flagged red",
    ]
