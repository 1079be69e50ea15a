"""The one exception a user can cause: the CLI prints its message on one line and exits 2."""


class CvquizError(Exception):
    """A problem with the user's input (bank file, question, option, database)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
