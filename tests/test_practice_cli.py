"""practice, stats, history and reset through the CLI, with scripted (non-terminal) input."""

from __future__ import annotations

import random
import re
import sqlite3
import sys
import types
from pathlib import Path

import pytest
from practice_helpers import BANK_ID, NOW, NOW_TEXT, cli_env, record
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.bank.model import Question
from cvquiz.cli.app import app
from cvquiz.practice.scheduler import Rating
from cvquiz.practice.store import open_store

BAR = "1 again 1m · 2 hard 6m · 3 good 10m · 4 easy 8d"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def run(home: Path, args: list[str], text: str = "", *, now: str = NOW_TEXT):
    env: dict[str, str | None] = {**cli_env(home, now=now), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


def log(home: Path) -> list[tuple[str, int]]:
    with open_store(home, now=NOW) as store:
        return [(r.key.split("/")[1], int(r.rating)) for r in reversed(store.reviews())]


def test_every_key_in_a_scripted_session(home: Path) -> None:
    script = "\n3\n\n1\nu\n\nagain\n\nx\n4\ns\n"
    result = run(home, ["practice", "--limit", "3"], script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Practice 3 cards: 0 due, 3 new · retention 90%" in out
    assert out.count(BAR) == 4
    assert "Q1 · resnet · ⚡ easy" in out and "new · 1/3" in out and "new · 3/5" in out
    # Good on a new card: its 10-minute learning step comes back in this session.
    assert "→ Q1 good · again before the session ends" in out and "due · 5/5" in out
    assert "Undid again on Q2; here it is again." in out
    assert "→ Q2 again · again before the session ends" in out
    assert "'x' is not a rating; press 1 again, 2 hard, 3 good or 4 easy" in out
    assert "→ Q3 easy · next in 8d" in out
    assert "Skipped Q2 until tomorrow." in out
    # The duration between the two is wall-clock time: test_summary_duration pins its format.
    assert "3 cards · 3 reviews · " in out and "s · 1 skipped" in out
    assert "again 1 · hard 0 · good 1 · easy 1   again-rate 33%" in out
    assert "Next due: in 1m · 2 due by the end of tomorrow" in out
    assert "2 learning cards due within 20m: practise again to finish them" in out
    assert log(home) == [
        ("what-is-resnet", 3),
        ("degradation-problem", 1),
        ("basic-residual-block", 4),
    ]
    with open_store(home, now=NOW) as store:
        assert store.skipped(NOW.date()) == {f"{BANK_ID}/degradation-problem"}
    # The skipped card stays away today; the learning card (due in 10m) is back; new: 7 of 10 left.
    again = run(home, ["practice", "--limit", "2"], "q\n")
    assert "Practice 2 cards: 1 due, 1 new" in again.output
    assert "Q1 · resnet" in again.output and "No cards rated this time." in again.output


def test_end_of_input_and_q_at_the_rating_prompt_end_the_session(home: Path) -> None:
    result = run(home, ["practice"], "\n2\n\n")
    assert result.exit_code == 0, result.output
    assert "1 card · 1 review" in result.output
    result = run(home, ["practice", "--new", "20"], "\nq\n")
    assert result.exit_code == 0, result.output
    assert log(home) == [("what-is-resnet", 2)]


def test_nothing_to_practise_once_the_days_new_cards_are_done(home: Path) -> None:
    assert run(home, ["practice", "--new", "2"], "\n4\n\n4\n").exit_code == 0
    result = run(home, ["practice", "--new", "2"], "")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "Nothing to practise now: no card is due and today's new cards are done.",
        "Next card due in 8d.",
    ]
    tomorrow = run(home, ["practice"], "q\n", now="2026-11-26T12:00:00+00:00")
    assert "Practice 10 cards: 0 due, 10 new" in tomorrow.output


def test_filters_apply_to_the_queue(home: Path) -> None:
    result = run(
        home, ["practice", "--topic", "MobileNet", "--difficulty", "hard", "--limit", "1"], "\n3\n"
    )
    assert result.exit_code == 0, result.output
    assert "Q24 · mobilenet · 🔥 hard" in result.output
    assert log(home) == [("depthwise-vs-standard-cost", 3)]


def test_typed_answers_are_graded_and_the_suggestion_can_be_accepted_or_overridden(
    home: Path,
) -> None:
    result = run(home, ["practice", "--typed", "--topic", "mobilenet", "--limit", "3"],
                 "s\nEach input channel has its own spatail filter, no mixing\n\nit is a kind of pooling\n4\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2/3 key concepts" in out and "✔ own spatial filter" in out and "✘ fewer params" in out
    assert "Enter = hard (suggested)" in out
    assert "0/5 key concepts" in out and "Enter = again (suggested)" in out
    assert log(home) == [("depthwise-conv", 2), ("pointwise-conv", 4)]
    with open_store(home, now=NOW) as store:
        first = store.reviews()[-1]
    assert first.typed_answer == "Each input channel has its own spatail filter, no mixing"
    assert first.coverage == {
        "hit": ["own spatial filter", "no mixing across channels"],
        "missed": ["fewer params"],
    }


def test_retention_is_validated_saved_and_used(home: Path) -> None:
    bad = run(home, ["practice", "--retention", "0.5"])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "cvquiz: error: --retention: 0.5 is outside 0.7-0.97 (0.9 means 90% recall when due)"
    ]
    saved = run(home, ["practice", "--retention", "0.8", "--save"], "q\n")
    assert saved.exit_code == 0, saved.output
    assert "Saved: retention 0.8." in saved.output and "retention 80%" in saved.output
    assert "retention 80%" in run(home, ["practice"], "q\n").output
    assert "retention 95%" in run(home, ["practice", "--retention", "0.95"], "q\n").output
    assert "--save: give --retention and/or --new" in run(home, ["practice", "--save"]).output
    assert "--limit: 0 must be at least 1" in run(home, ["practice", "--limit", "0"]).output


def test_demo_key_runs_the_cards_demo_or_says_there_is_none(monkeypatch, capsys) -> None:
    from rich.console import Console

    from cvquiz.cli.tutor import run_demo_for

    calls: list[object] = []
    runner = types.ModuleType("cvquiz.demos.runner")
    runner.run_demo = lambda demo_id: calls.append(("run", demo_id)) or {"demo": demo_id}  # type: ignore[attr-defined]
    render = types.ModuleType("cvquiz.render.demo")
    render.render_result = lambda console, result, question: calls.append(("render", result))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cvquiz.demos.runner", runner)
    monkeypatch.setitem(sys.modules, "cvquiz.render.demo", render)
    console = Console(width=80, force_terminal=False)
    q = Question(
        bank_id="b",
        number=1,
        id="q",
        topic="t",
        difficulty="easy",
        question="?",
        answer="!",
        demo="depthwise-cost",
    )
    run_demo_for(console, q)
    assert calls == [("run", "depthwise-cost"), ("render", {"demo": "depthwise-cost"})]
    run_demo_for(
        console,
        Question(
            bank_id="b", number=2, id="r", topic="t", difficulty="easy", question="?", answer="!"
        ),
    )
    assert "This question has no live demo." in capsys.readouterr().out


def test_d_before_the_reveal_offers_the_demo_only_after_it(home: Path) -> None:
    """A demo's explanation and checks give the answer away: before the reveal, d only says when."""
    result = run(home, ["practice", "--limit", "1"], "d\n\nq\n")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "the demo comes after the answer: reveal the answer (Enter), then press d" in out
    assert "Residual block" not in out and "checks" not in out  # nothing of the demo ran
    assert out.index("then press d") < out.index("Answer")


def test_demo_key_runs_the_real_demo_mid_session(home: Path) -> None:
    result = run(home, ["practice", "--limit", "1"], "\nd\n3\n")
    assert result.exit_code == 0, result.output
    assert "Residual block: y = F(x) + x" in result.output
    assert re.search(r"✓ \d+/\d+ checks", result.output)  # compact: one line for the checks
    assert log(home) == [("what-is-resnet", 3)]


def test_stats_json_has_exact_counts(home: Path) -> None:
    run(home, ["practice", "--limit", "3"], "\n1\n\n3\n\n4\n\n3\n")
    result = run(home, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    assert data["reviews"] == 4
    assert data["cards"] == {"new": 37, "learning": 2, "review": 1, "orphans": 0}
    assert data["due_today"] == 2
    assert [d["due"] for d in data["forecast"]] == [2, 0, 0, 0, 0, 0, 0]
    assert data["true_retention"] == {"passed": 0, "reviews": 0, "rate": None}
    assert data["calendar"] == {"2026-11-25": 4}
    assert [(t["name"], t["cards"], t["reviewed"]) for t in data["mastery"]["topics"]] == [
        ("mobilenet", 20, 0),
        ("resnet", 20, 3),
    ]
    assert data["leeches"] == []


def test_stats_screen_and_bad_at(home: Path) -> None:
    run(home, ["practice", "--limit", "2"], "\n4\n\n3\n")
    result = run(home, ["stats"])
    assert result.exit_code == 0, result.output
    assert "Reviews 2   Cards 38 new · 1 learning · 1 review   Due today 1" in result.output
    assert "Review days, last 12 weeks" in result.output and "2 reviews on 1 day" in result.output
    at = run(home, ["stats", "--at", "2026-12-10"])
    assert "Predicted recall on 2026-12-10, no more reviews: " in at.output
    bad = run(home, ["stats", "--at", "next friday"])
    assert bad.exit_code == 2
    assert (
        bad.output.strip()
        == "cvquiz: error: --at: 'next friday' is not a date like 2026-12-10 or 2026-12-10T09:00"
    )
    past = run(home, ["stats", "--at", "2026-01-01"])
    assert past.exit_code == 2 and "--at: 2026-01-01 is in the past" in past.output


def test_history_newest_first_one_question_and_removed_questions(home: Path) -> None:
    run(home, ["practice", "--limit", "2"], "\n4\n\n1\n\n3\n")
    result = run(home, ["history", "--json"])
    import json

    rows = json.loads(result.output)
    assert [(r["number"], r["rating_name"]) for r in rows] == [
        (2, "good"),
        (2, "again"),
        (1, "easy"),
    ]
    one = run(home, ["history", "1"])
    assert one.exit_code == 0, one.output
    assert (
        "What is ResNet?" in one.output
        and "easy" in one.output
        and "1 review, newest first." in one.output
    )
    with open_store(home, now=NOW) as store:
        from cvquiz.practice.scheduler import Scheduler

        record(
            store,
            "old-bank/gone",
            Rating.GOOD,
            now=NOW,
            scheduler=Scheduler(fuzz=False),
            session_id="x",
        )
    gone = run(home, ["history", "old-bank/gone"])
    assert gone.exit_code == 0, gone.output
    assert "old-bank/gone (removed)" in gone.output
    assert json.loads(run(home, ["stats", "--json"]).output)["cards"]["orphans"] == 1
    assert run(home, ["history", "nonsense words"]).exit_code == 2


def test_reset_needs_confirmation(home: Path) -> None:
    run(home, ["practice", "--limit", "1"], "\n3\n")
    refused = run(home, ["reset"])
    assert refused.exit_code == 2
    assert (
        refused.output.strip()
        == "cvquiz: error: reset: no terminal to confirm on; run `cvquiz reset --yes` to clear progress"
    )
    assert len(log(home)) == 1
    done = run(home, ["reset", "--yes"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "Progress cleared: 1 review removed."
    assert log(home) == []


def test_corrupt_database_is_one_line_exit_2_and_untouched(home: Path) -> None:
    home.mkdir()
    garbage = bytes(random.Random(5).randrange(256) for _ in range(4096))
    (home / "progress.db").write_bytes(garbage)
    for args in (["practice"], ["stats"], ["history"], ["reset", "--yes"]):
        result = run(home, args, "\n3\n")
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"cvquiz: error: {home / 'progress.db'}: the progress database is unreadable"
        )
    assert (home / "progress.db").read_bytes() == garbage
    assert sorted(p.name for p in home.iterdir()) == ["progress.db"]


def test_a_finished_session_leaves_an_intact_database(home: Path) -> None:
    # A connection closed mid-session: test_practice_review.py; a SIGKILL: test_practice_pty.py.
    run(home, ["practice", "--limit", "2"], "\n3\n\n3\n")
    db = sqlite3.connect(home / "progress.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT COUNT(*) FROM reviews").fetchone() == (2,)


def test_practice_stats_and_history_never_import_torch(home: Path) -> None:
    import subprocess

    from practice_helpers import PYTHON, ROOT

    code = (
        "import sys\n"
        "from cvquiz.cli.app import app\n"
        "for args in (['practice', '--limit', '1'], ['stats'], ['history']):\n"
        "    try:\n"
        "        app(args, prog_name='cvquiz')\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
        "print(sorted(m for m in ('torch', 'numpy', 'genanki', 'rapidfuzz') if m in sys.modules))\n"
    )
    done = subprocess.run([PYTHON, "-c", code], input="\n3\n", capture_output=True, text=True, cwd=ROOT,
                          env=cli_env(home), timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_history_of_a_question_without_reviews_names_it(home: Path) -> None:
    run(home, ["practice", "--limit", "1"], "\n3\n")
    result = run(home, ["history", "24"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No reviews of question 24 yet. Start with: cvquiz practice"


def test_a_queue_with_demo_cards_warms_torch_in_the_background() -> None:
    """At a terminal, practice imports PyTorch in a daemon thread when a queued card has a demo,
    so that d does not wait for torch's start-up; a queue without demos starts no thread."""
    import subprocess

    from practice_helpers import PYTHON

    code = """
import sys, types
from cvquiz.cli.commands.practice import warm_up
card = lambda demo: types.SimpleNamespace(question=types.SimpleNamespace(demo=demo))
assert warm_up([card(None)]) is None and "torch" not in sys.modules
thread = warm_up([card(None), card("residual-block")])
assert thread.daemon
thread.join(120)
assert "torch" in sys.modules
"""
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
