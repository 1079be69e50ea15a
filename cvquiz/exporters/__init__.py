"""Flashcard exports: Anki packages and text, CSV, a Markdown study sheet, JSON banks (see formats.py)."""
