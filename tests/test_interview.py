"""`cvquiz interview`: reproducible with a seed, climbs while answers are good, follows up, moves
to another topic after a miss and comes back, keeps time, reports, and records every answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from practice_helpers import NOW_TEXT, cli_env, library
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.cli.app import app
from cvquiz.practice.interview import BUDGET_S, COME_BACK_AFTER, Interview
from cvquiz.practice.interview_report import build_report
from cvquiz.practice.scheduler import Rating, Scheduler
from cvquiz.practice.store import open_store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
QUESTIONS = library().questions


class Ticker:
    """A clock for durations that moves only when told."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def interview(store, *, seed=1, minutes=30.0, ticker=None) -> Interview:
    return Interview(QUESTIONS, store, Scheduler(fuzz=False), clock=lambda: NOW,
                     ticker=ticker or Ticker(), minutes=minutes, seed=seed)  # fmt: skip


def play(iv: Interview, answers, *, turns: int, ticker: Ticker | None = None, seconds: float = 20):
    """Answer `turns` questions: `answers(turn)` gives the text (the model answer: good)."""
    seen = []
    for _ in range(turns):
        turn = iv.next_turn()
        if turn is None:
            break
        if ticker is not None:
            ticker.t += seconds
        seen.append(turn)
        iv.answer(turn, answers(turn), seconds=seconds)
    return seen


def good(turn) -> str:
    return turn.model_answer


def test_a_seed_gives_the_same_interview(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        with open_store(tmp_path / name, now=NOW) as store:
            turns = play(interview(store, seed=7), good, turns=8)
            runs.append(
                [(t.question.key, t.kind, t.probe.prompt if t.probe else None) for t in turns]
            )
    assert runs[0] == runs[1] and len(runs[0]) == 8
    with open_store(tmp_path / "c", now=NOW) as store:
        other = [t.question.key for t in play(interview(store, seed=8), good, turns=8)]
    assert other != [key for key, _, _ in runs[0]]


def test_good_answers_climb_from_easy_to_hard_with_follow_ups(tmp_path: Path) -> None:
    with open_store(tmp_path, now=NOW) as store:
        turns = play(interview(store), good, turns=10)
    assert turns[0].kind == "opening" and turns[0].question.difficulty == "easy"
    main = [t for t in turns if t.kind not in ("probe", "follow-up")]
    levels = [t.question.difficulty for t in main]
    assert levels[:3] == ["easy", "medium", "hard"] or levels.index("hard") <= 3
    assert any(t.kind in ("probe", "follow-up") for t in turns)
    for before, after in zip(turns, turns[1:], strict=False):
        if after.kind == "probe":
            assert after.question == before.question and after.probe in before.question.probes
        if after.kind == "follow-up":
            assert (
                after.question.id in before.question.related
                or after.question.key in before.question.related
            )


def test_a_miss_changes_the_topic_and_the_topic_comes_back(tmp_path: Path) -> None:
    with open_store(tmp_path, now=NOW) as store:
        iv = interview(store, seed=3)
        first = iv.next_turn()
        iv.answer(first, "", seconds=5)  # a miss
        missed_topic = first.question.topic
        nxt = iv.next_turn()
        assert nxt.kind == "new topic" and nxt.question.topic != missed_topic
        iv.answer(nxt, good(nxt), seconds=5)
        kinds = [nxt]
        for _ in range(COME_BACK_AFTER + 2):
            t = iv.next_turn()
            kinds.append(t)
            if t.kind == "come back":
                break
            iv.answer(t, good(t), seconds=5)
        back = kinds[-1]
        assert back.kind == "come back" and back.question.topic == missed_topic
        assert "as promised" in back.why


def test_the_clock_ends_the_interview_and_each_answer_has_a_budget(tmp_path: Path) -> None:
    ticker = Ticker()
    with open_store(tmp_path, now=NOW) as store:
        iv = interview(store, minutes=2, ticker=ticker)
        turns = play(iv, good, turns=50, ticker=ticker, seconds=45)
        assert len(turns) == 3 and iv.next_turn() is None  # 45 s each: the 4th starts after 2:00
        assert turns[0].budget_s == BUDGET_S["easy"]
        slow = iv.answered[0]
        assert not slow.over_budget
        report = build_report(iv.answered, started=NOW, minutes=2, seconds=iv.elapsed_s, seed=1)
    assert report.data["overall"]["answers"] == 3 and report.data["seconds"] == 135


def test_every_card_answer_is_a_review_marked_as_from_an_interview(tmp_path: Path) -> None:
    with open_store(tmp_path, now=NOW) as store:
        iv = interview(store)
        play(iv, good, turns=6)
        cards = [a for a in iv.answered if a.turn.probe is None]
        rows = list(reversed(store.reviews()))
        assert [r.key for r in rows] == [a.turn.question.key for a in cards]
        assert all(r.interview and r.duration_ms == 20_000 and r.typed_answer for r in rows)
        assert [int(r.rating) for r in rows] == [int(a.rating) for a in cards]


def test_the_override_replaces_the_grade(tmp_path: Path) -> None:
    with open_store(tmp_path, now=NOW) as store:
        iv = interview(store)
        turn = iv.next_turn()
        done = iv.answer(turn, "", seconds=3, rating=Rating.GOOD)
        assert done.graded.suggested == Rating.AGAIN and done.rating == Rating.GOOD
        assert store.reviews()[0].rating == Rating.GOOD


def run(home: Path, args: list[str], text: str = ""):
    env: dict[str, str | None] = {**cli_env(home, now=NOW_TEXT), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


def test_a_scripted_interview_its_report_and_the_last_one_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    script = "a residual block adds the input to the output through a skip connection\n\n\n\n" * 2
    done = run(home, ["interview", "--seed", "4", "--minutes", "5"], script)
    assert done.exit_code == 0, done.output
    out = done.output
    assert "Mock interview 5 minutes" in out and "1. Q" in out and "budget 1:00" in out
    assert "Interview report" in out and "by topic:" in out and "by difficulty:" in out
    data = json.loads(run(home, ["interview", "--last", "--json"]).output)
    assert data["seed"] == 4 and data["overall"]["answers"] == len(data["answers"]) >= 2
    again = run(home, ["interview", "--last"]).output
    assert "Interview report" in again and f"seed {data['seed']}" in again
    history = json.loads(run(home, ["history", "--json"]).output)
    assert history and all(r["interview"] for r in history)


def test_the_report_names_demos_and_missed_concepts(tmp_path: Path) -> None:
    with open_store(tmp_path, now=NOW) as store:
        iv = interview(store, seed=2)
        play(iv, lambda t: "", turns=4)
        report = build_report(iv.answered, started=NOW, minutes=30, seconds=60, seed=2).data
    assert report["overall"]["score"] == 0 and report["missed_concepts"]
    assert report["demos"] and all(d["command"].startswith("cvquiz demo ") for d in report["demos"])


@pytest.mark.parametrize(
    "args", [["--minutes", "0"], ["--minutes", "nan"], ["--last", "--seed", "x"]]
)
def test_bad_options_are_one_line(tmp_path: Path, args: list[str]) -> None:
    done = run(tmp_path / "home", ["interview", *args])
    assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1, done.output


@pytest.mark.slow
def test_an_interview_in_a_real_terminal(tmp_path: Path) -> None:
    """Typed answers with line editing, the reveal, Enter to accept, 3 to override, q to end."""
    import pexpect
    from practice_helpers import PYTHON, ROOT

    home = tmp_path / "home"
    run(home, ["plan", "--interview", "2026-12-09"])  # the report then says how ready you are
    child = pexpect.spawn(PYTHON, ["-m", "cvquiz", "interview", "--seed", "5", "--minutes", "10"],
                          cwd=str(ROOT), env=cli_env(home), dimensions=(40, 80), encoding="utf-8",
                          timeout=30)  # fmt: skip
    child.expect("budget")
    child.expect("Your answer")
    child.send("skip connections add the input\r")
    child.expect("Answer")
    child.expect("graded")
    child.send("\r")  # accept the grade
    child.expect("1 again|recorded for review")
    child.expect("2. Q")
    child.expect("Your answer")
    child.send("\r")  # an empty answer passes
    child.expect("graded")
    child.send("3")  # override: good
    child.expect("good")
    child.expect("3. Q")
    child.expect("Your answer")
    child.send("q\r")
    child.expect("Interview report")
    child.expect(r"Ready for \S*2026-12-09")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with open_store(home, now=NOW) as store:
        rows = list(reversed(store.reviews()))
    assert len(rows) == 2 and all(r.interview for r in rows) and rows[1].rating == Rating.GOOD
