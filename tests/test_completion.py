"""Shell completion: option values and arguments from the banks, fast (no torch), and the
`cvquiz completion SHELL` scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "numpy", "fsrs", "genanki", "rapidfuzz")
PROBE = """
import json, sys
from cvquiz.cli.app import main
try:
    main()
except SystemExit:
    pass
loaded = [m for m in {heavy!r} if m in sys.modules]
loaded += sorted(m for m in sys.modules if m.startswith("cvquiz.demos.") and m not in
                 ("cvquiz.demos.index", "cvquiz.demos.params", "cvquiz.demos.registry",
                  "cvquiz.demos.result"))
sys.stderr.write("\\nLOADED " + json.dumps(loaded) + "\\n")
"""


def complete(line: str, *, shell: str = "bash") -> list[str]:
    """What a Tab at the end of `line` offers (bash: the values; zsh: value:help pairs)."""
    words = line.split()
    if line.endswith(" "):
        words.append("")
    env = {**os.environ, "_CVQUIZ_COMPLETE": f"complete_{shell}", "COMP_WORDS": line,
           "COMP_CWORD": str(len(words) - 1), "_TYPER_COMPLETE_ARGS": line}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    *said, loaded = proc.stderr.strip().splitlines()
    assert said == [], said  # nothing, not even an error, is printed into the shell
    assert json.loads(loaded.removeprefix("LOADED ")) == [], "completion imported " + loaded
    return [value for value in proc.stdout.splitlines() if value]


def test_topics_tags_difficulties_and_formats() -> None:
    assert complete("cvquiz list --topic ") == ["mobilenet", "resnet"]
    assert complete("cvquiz practice -t mob") == ["mobilenet"]
    assert complete("cvquiz list --tag depth") == ["depthwise"]
    assert complete("cvquiz export -o x --difficulty ") == ["easy", "medium", "hard"]
    assert complete("cvquiz export --format ") == ["apkg", "tsv", "csv", "md", "json"]
    assert complete("cvquiz demo 24 --device c") == ["cpu", "cuda"]


def test_questions_by_number_and_id() -> None:
    assert complete("cvquiz show 3") == [
        "3",
        "30",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "38",
        "39",
    ]
    assert complete("cvquiz show inverted") == ["inverted-residual"]
    assert complete("cvquiz history degr") == ["degradation-problem"]
    assert len(complete("cvquiz show ")) == 40  # a bare Tab: the numbers, not the ids as well
    assert complete("cvquiz show 2", shell="zsh")[0].startswith(
        '_arguments \'*: :(("2":"What is the degradation problem?"'
    )


def test_demos_by_question_and_by_id() -> None:
    numbers = complete("cvquiz demo ")
    assert len(numbers) == 40 and "16" in numbers  # every question has a demo now
    assert complete("cvquiz demo chan") == ["channel-shuffle"]
    assert complete("cvquiz demo inverted") == ["inverted-residual"]  # a question id and a demo id


def test_the_banks_on_the_line_are_completed_too(tmp_path: Path) -> None:
    bank = tmp_path / "vit.yaml"
    bank.write_text(
        "id: my-vit-bank\ntitle: ViT\nquestions:\n  - {number: 1, id: what-is-vit, topic: vit, "
        "difficulty: easy, question: ViT?, answer: Patches.}\n",
        encoding="utf-8",
    )
    assert complete(f"cvquiz --bank {bank} list --topic ") == ["mobilenet", "resnet", "vit"]
    # two questions 1: each is offered as bank-id/1, and 1 alone no more
    assert complete(f"cvquiz --bank {bank} show my") == ["my-vit-bank/1"]
    assert complete(f"cvquiz --bank {bank} show cnn-architectures/") == ["cnn-architectures/1"]
    assert "1" not in complete(f"cvquiz --bank {bank} show 1")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [\n", encoding="utf-8")
    assert complete(f"cvquiz --bank {broken} list --topic ") == []  # no error into the shell


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("bash", "complete -o default -F _cvquiz_completion cvquiz"),
        ("zsh", "compdef _cvquiz_completion cvquiz"),
        ("fish", "complete --command cvquiz --no-files"),
    ],
)
def test_completion_command_prints_the_script(cli, shell: str, line: str) -> None:
    result = cli("completion", shell)
    assert result.exit_code == 0, result.output
    assert line in result.stdout
    assert "_CVQUIZ_COMPLETE=complete_" + shell in result.stdout


def test_completion_of_an_unknown_shell_is_one_line(cli) -> None:
    result = cli("completion", "tcsh")
    assert result.exit_code == 2
    assert result.stderr == (
        "cvquiz: error: Invalid value for 'SHELL': 'tcsh' is not one of 'bash', 'zsh', 'fish' "
        "(see cvquiz completion -h)\n"
    )
