"""`cvquiz optimize`: a fit to a log generated from known parameters beats the defaults on the
later part of the log; under 512 learnable reviews the defaults stay; adopt and revert."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, NOW_TEXT, cli_env
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.cli.app import app
from cvquiz.errors import CvquizError
from cvquiz.practice import optimize as opt
from cvquiz.practice.scheduler import Rating
from cvquiz.practice.store import open_store
from cvquiz.practice.synthetic import LEARNER, learner_log

START = datetime(2026, 1, 5, tzinfo=UTC)


def events(**kw) -> list[opt.Event]:
    return [opt.Event(r.key, r.at, r.rating, r.duration_ms) for r in learner_log(start=START, **kw)]


@pytest.fixture(scope="module")
def synthetic_fit() -> opt.Fit:
    """One fit shared by the tests (about 15 s on two cores)."""
    return opt.fit(events(seed=1), current=opt.default_parameters())


def test_a_fit_to_a_synthetic_learner_predicts_the_later_reviews_better(synthetic_fit) -> None:
    fit = synthetic_fit
    assert fit.current is not None and fit.fitted is not None and fit.parameters is not None
    assert fit.learnable >= opt.MIN_REVIEWS and fit.current.reviews == fit.fitted.reviews > 200
    assert fit.fitted.log_loss < fit.current.log_loss
    assert fit.fitted.rmse_bins < fit.current.rmse_bins
    assert fit.adopted and "better" in fit.reason
    assert fit.parameters != pytest.approx(opt.default_parameters())
    data = fit.to_dict()
    assert data["adopted"] is True and len(data["parameters"]) == 21
    assert data["split_at"] == fit.split_at.isoformat()


def test_the_true_parameters_score_better_than_the_defaults_on_their_own_log() -> None:
    """The scoring itself can tell a right model from a wrong one."""
    cards = opt.histories(events(seed=2))
    cut = opt.split_time([e for h in cards.values() for e in h])
    right = opt.score(LEARNER, cards, since=cut)
    wrong = opt.score(opt.default_parameters(), cards, since=cut)
    assert right.log_loss < wrong.log_loss and right.reviews == wrong.reviews


def test_log_loss_and_rmse_bins_by_hand() -> None:
    """Two cards, one scored review each: the numbers follow from the forgetting curve."""
    day = timedelta(days=1)
    log = [
        opt.Event("b/a", START, Rating.GOOD),
        opt.Event("b/a", START + 3 * day, Rating.GOOD),
        opt.Event("b/b", START, Rating.GOOD),
        opt.Event("b/b", START + 3 * day, Rating.AGAIN),
    ]
    s = opt.score(opt.default_parameters(), opt.histories(log), since=START)
    ((_, p, _, _, _),) = list(opt._replay(opt.default_parameters(), opt.histories(log)["b/a"]))
    assert s.reviews == 2
    assert math.isclose(s.log_loss, (-math.log(p) - math.log(1 - p)) / 2)
    assert math.isclose(s.rmse_bins, math.sqrt((p - 0.5) ** 2))  # both in one bin


def test_under_512_learnable_reviews_the_defaults_stay() -> None:
    fit = opt.fit(events(cards=30, days=40), current=opt.default_parameters())
    assert not fit.adopted and fit.parameters is None and fit.learnable < opt.MIN_REVIEWS
    assert f"needs {opt.MIN_REVIEWS}" in fit.reason and str(fit.learnable) in fit.reason


def test_adopt_keeps_the_old_parameters_and_revert_goes_back(tmp_path: Path) -> None:
    fitted = tuple(w * 1.01 for w in opt.default_parameters())
    with open_store(tmp_path, now=NOW) as store:
        assert opt.saved_parameters(store) is None
        with pytest.raises(CvquizError, match="no earlier parameters"):
            opt.revert(store)
        opt.adopt(store, fitted)
        assert opt.saved_parameters(store) == pytest.approx(fitted)
        assert opt.revert(store) is None  # back to the defaults
        assert opt.revert(store) == pytest.approx(fitted)  # a second revert undoes the first
        store.set_setting(opt.PARAMETERS_SETTING, "[1, 2]")
        with pytest.raises(CvquizError, match="saved FSRS parameters are damaged"):
            opt.saved_parameters(store)


def run(home: Path, *args: str):
    env: dict[str, str | None] = {**cli_env(home, now=NOW_TEXT), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, list(args), env=env)


def test_the_command_on_a_short_log_says_why_it_keeps_the_defaults(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shown = run(home, "optimize")
    assert shown.exit_code == 0, shown.output
    assert "Kept the current parameters" in shown.output and "512" in shown.output
    data = json.loads(run(home, "optimize", "--json").output)
    assert data["adopted"] is False and data["min_reviews"] == 512 and data["reviews"] == 0
    bad = run(home, "optimize", "--revert")
    assert bad.exit_code == 2
    assert (
        bad.output.strip()
        == "cvquiz: error: optimize --revert: no earlier parameters to go back to"
    )


def test_adopted_parameters_rebuild_the_states_so_doctor_stays_healthy(tmp_path: Path) -> None:
    """States follow the parameters: after an adoption (and a revert) each card's state is a
    replay of its log with the parameters saved, which is what `doctor` checks."""
    from practice_helpers import record

    from cvquiz.practice import care, planning
    from cvquiz.practice.scheduler import Scheduler

    scheduler = Scheduler(fuzz=False)
    with open_store(tmp_path, now=NOW) as store:
        for i, rating in enumerate((Rating.GOOD, Rating.GOOD, Rating.AGAIN, Rating.EASY)):
            record(store, "b/q1", rating, now=NOW + timedelta(days=i), scheduler=scheduler,
                   session_id="s")  # fmt: skip
        before = store.card_state("b/q1")
        opt.adopt(store, tuple(w * 1.05 for w in opt.default_parameters()))
        planning.rebuild_with_parameters(store)
        after = store.card_state("b/q1")
        assert after.stability != before.stability and after.due == before.due
    assert care.doctor(tmp_path, repair=False, now=NOW).healthy
    with open_store(tmp_path, now=NOW) as store:
        planning.revert_parameters(store)
        assert store.card_state("b/q1") == before
    assert care.doctor(tmp_path, repair=False, now=NOW).healthy
