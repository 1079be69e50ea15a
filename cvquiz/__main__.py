"""`python -m cvquiz` runs the CLI."""

from cvquiz.cli import main

main()
