"""Small wording helpers shared by every screen and export."""


def plural(n: int, noun: str) -> str:
    """'1 question', '2 questions' (regular plurals only)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
