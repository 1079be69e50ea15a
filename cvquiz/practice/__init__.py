"""Practice: the progress store, FSRS scheduling, the review queue and session, typed-answer grading, stats."""
