"""A generated bank and progress store of any size, for `make bench` and the scale tests.

The bank is YAML shaped like the built-in one (block style, quoted text, tags, concepts with
synonyms, related questions, some demos). The store is a real progress database made by
`open_store` (so its schema is always the current one), then filled in bulk: every card has a log
of reviews with growing intervals and lapses, and a saved state that matches the log's last row.
Both are a pure function of the sizes and the seed.

    python benchmarks/generate.py --questions 10000 --reviews 200000 --out /tmp/bench-10k
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

BANK_ID = "generated"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TOPICS = (
    "resnet",
    "mobilenet",
    "efficientnet",
    "vgg",
    "densenet",
    "shufflenet",
    "vit",
    "detection",
)
WORDS = (
    "residual shortcut bottleneck depthwise pointwise separable convolution stride padding "
    "channel width depth resolution batch norm activation relu gradient identity projection "
    "kernel filter feature map receptive field pooling global average classifier head stem "
    "stage block expansion squeeze excitation quantization latency parameters flops memory "
    "inverted linear skip connection downsample upsample pyramid anchor segmentation decoder "
    "encoder attention patch token embedding scaling compound dropout weight decay learning rate"
).split()
RATING_WEIGHTS = (0.10, 0.15, 0.60, 0.15)  # again, hard, good, easy
HARD_CARD_WEIGHTS = (0.45, 0.15, 0.35, 0.05)  # one card in 30 keeps lapsing: the leeches
LEARNING, REVIEW, RELEARNING = 1, 2, 3


def stamp(moment: datetime) -> str:
    """cvquiz.clock.stamp for a UTC time, without strftime (five times faster, same text)."""
    return moment.isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


def _slug(rng: random.Random, n: int) -> str:
    return "-".join(rng.choice(WORDS).replace(" ", "-") for _ in range(n))


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize()


def question_ids(n: int) -> list[str]:
    """The ids of a generated bank of n questions, in file order (unique, kebab-case)."""
    return [f"q{i}-{_slug(random.Random(i), 2)}" for i in range(1, n + 1)]


def bank_yaml(n: int, *, seed: int = 12, demo_ids: tuple[str, ...] = ()) -> str:
    """A valid bank of n questions as YAML text."""
    if demo_ids == ():
        from cvquiz.demos.index import demo_ids as builtin_demos

        demo_ids = tuple(builtin_demos())
    rng = random.Random(seed)
    ids = question_ids(n)
    q = json.dumps  # a JSON string is a YAML double-quoted scalar
    lines = [
        f"id: {BANK_ID}",
        f"title: {q(f'Generated bank of {n} questions')}",
        f"source: {q('benchmarks/generate.py, seed ' + str(seed))}",
        "questions:",
    ]
    for i, qid in enumerate(ids, start=1):
        tags = sorted({rng.choice(WORDS).replace(" ", "-") for _ in range(rng.randint(1, 3))})
        lines += [
            f"  - number: {i}",
            f"    id: {qid}",
            f"    topic: {rng.choice(TOPICS)}",
            f"    tags: [{', '.join(tags)}]",
            f"    difficulty: {rng.choice(('easy', 'medium', 'medium', 'hard'))}",
            f"    question: {q(_sentence(rng, 5, 12) + '?', ensure_ascii=False)}",
            f"    answer: {q(_sentence(rng, 14, 28) + ' — 3×3.', ensure_ascii=False)}",
        ]
        if rng.random() < 0.1:
            lines.append(f"    code: {q('nn.Conv2d(c, c, 3, groups=c)  # depthwise')}")
        concepts = rng.randint(0, 3)
        if concepts:
            lines.append("    concepts:")
            for _ in range(concepts):
                lines.append(f"      - name: {q(_sentence(rng, 1, 3).lower())}")
                synonyms = [q(_sentence(rng, 1, 3).lower()) for _ in range(rng.randint(1, 3))]
                lines.append(f"        synonyms: [{', '.join(synonyms)}]")
        related = {ids[rng.randrange(n)] for _ in range(rng.randint(0, 2))} - {qid}
        lines.append(f"    related: [{', '.join(sorted(related))}]")
        if demo_ids and rng.random() < 0.3:
            lines.append(f"    demo: {rng.choice(demo_ids)}")
        lines.append("")
    return "\n".join(lines) + "\n"


def write_bank(path: Path, n: int, *, seed: int = 12) -> Path:
    path.write_text(bank_yaml(n, seed=seed), encoding="utf-8")
    return path


@dataclass(frozen=True)
class StoreFigures:
    """What a generated store holds."""

    reviews: int
    cards: int
    orphans: int


def write_store(
    home: Path,
    keys: list[str],
    reviews: int,
    *,
    now: datetime = NOW,
    seed: int = 12,
    orphans: int | None = None,
) -> StoreFigures:
    """Fill <home>/progress.db with `reviews` log rows over about 80% of `keys`, plus a few orphans
    (cards whose question left the bank), each card's saved state matching its last row."""
    from cvquiz.practice.scheduler import card_id_for
    from cvquiz.practice.store import open_store

    rng = random.Random(seed)
    with open_store(home, now=now) as store:
        path = store.path
    reviewed = [k for k in keys if rng.random() < 0.8] or keys[:1]
    extra = max(1, len(keys) // 100) if orphans is None else orphans
    reviewed += [f"{BANK_ID}/removed-{i}" for i in range(extra)]
    reviewed = reviewed[: max(1, min(len(reviewed), reviews))]
    weights = [rng.uniform(0.3, 1.7) for _ in reviewed]
    total = sum(weights)
    counts = [max(1, int(reviews * w / total)) for w in weights]
    for i in range(reviews - sum(counts)):  # the rounding's remainder, one each
        counts[i % len(counts)] += 1
    while sum(counts) > reviews:  # more cards than reviews asked for at the floor of one each
        counts[counts.index(max(counts))] -= 1

    log_rows: list[tuple] = []
    card_rows: list[tuple] = []
    for key, count in zip(reviewed, counts, strict=True):
        if count == 0:
            continue
        span = timedelta(days=rng.uniform(1, 365))
        at = now - span
        phase, stability, lapses, interval = LEARNING, 0.5, 0, timedelta(minutes=10)
        first = at
        session = f"s{rng.randrange(10_000):04d}"
        odds = HARD_CARD_WEIGHTS if rng.random() < 1 / 30 else RATING_WEIGHTS
        for j in range(count):
            rating = rng.choices((1, 2, 3, 4), odds)[0]
            before = None if j == 0 else phase
            if rating == 1:
                if phase == REVIEW:
                    lapses += 1
                phase = RELEARNING if phase == REVIEW else phase
                stability = max(0.2, stability * 0.4)
                interval = timedelta(minutes=10)
            else:
                if phase != REVIEW and (rating >= 3 or j >= 2):
                    phase = REVIEW
                stability *= {2: 1.2, 3: 2.5, 4: 4.0}[rating]
                interval = timedelta(days=min(stability, 365.0))
            due = at + interval
            log_rows.append(
                (key, rating, stamp(at), rng.randrange(2000, 30_000), None, None, session,
                 before, stamp(due), 0.9, 0)
            )  # fmt: skip
            last = at
            # The next review comes near its due date, before now; a long log is squeezed in.
            remaining = now - at
            step = min(interval * rng.uniform(0.8, 1.3), remaining / max(1, count - j) * 1.5)
            at = min(at + max(step, timedelta(minutes=1)), now - timedelta(minutes=1))
        state = {
            "card_id": card_id_for(key),
            "state": phase,
            "step": None if phase == REVIEW else 0,
            "stability": round(stability, 4),
            "difficulty": round(rng.uniform(1, 10), 4),
            "due": due.isoformat(),
            "last_review": last.isoformat(),
            "reps": count,
            "lapses": lapses,
        }
        card_rows.append((key, json.dumps(state), stamp(due), phase, lapses, stamp(first)))
    # Bulk-filled in one transaction without fsync; a benchmark's data is throwaway.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO reviews (card_key, rating, reviewed_at, duration_ms, typed_answer, "
            "coverage, session_id, phase_before, due_after, retention, cram) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            log_rows,
        )
        conn.executemany(
            "INSERT INTO cards (card_key, state, due, phase, lapses, first_review) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            card_rows,
        )
        today = (now - timedelta(hours=4)).date().isoformat()
        conn.executemany(
            "INSERT OR IGNORE INTO skips (card_key, day) VALUES (?, ?)",
            [(k, today) for k in keys[: max(1, len(keys) // 500)]],
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return StoreFigures(reviews=len(log_rows), cards=len(card_rows), orphans=extra)


def generate(out: Path, questions: int, reviews: int, *, seed: int = 12) -> tuple[Path, Path]:
    """<out>/bank.yaml and <out>/home/progress.db; returns (bank path, home)."""
    out.mkdir(parents=True, exist_ok=True)
    bank = write_bank(out / "bank.yaml", questions, seed=seed)
    home = out / "home"
    keys = [f"{BANK_ID}/{qid}" for qid in question_ids(questions)]
    write_store(home, keys, reviews, seed=seed)
    return bank, home


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, required=True)
    parser.add_argument("--reviews", type=int, default=0)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    bank, home = generate(args.out, args.questions, args.reviews, seed=args.seed)
    print(f"CVQUIZ_BANK={bank} CVQUIZ_HOME={home} CVQUIZ_NOW={NOW.isoformat()}")


if __name__ == "__main__":
    main()
