"""The command-line face of cvquiz: the Typer app, shared options, the commands and the interactive screens."""
