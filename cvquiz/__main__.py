"""`python -m cvquiz` runs the CLI."""

from cvquiz.cli.app import main

main()
