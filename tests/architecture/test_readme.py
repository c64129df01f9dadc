"""The README's promises hold: its first two commands, and its ledger example runs as printed."""
from __future__ import annotations

import linecache
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_opens_with_the_main_job_and_the_test_command() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["python3 dev.py sweep", "python3 dev.py test"]
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_ledger_example_writes_three_events_and_reads_them_back(capsys) -> None:  # noqa: ANN001
    example = next(block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "LedgerWriter" in block)
    exec(compile(example, "README.md", "exec"), {})  # noqa: S102 - the README's own example
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [["2026-03-01", "1"], ["2026-03-01", "2"], ["2026-03-01", "3"]]
    assert all(line.split()[2] in lines[3] for line in lines[:3])


def test_the_hypothesis_example_runs() -> None:
    from hypothesis import settings

    example = next(block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "@given" in block)
    namespace: dict = {}
    # the example's own lines under a name of its own, so that whoever asks for the source of its
    # test (Hypothesis does) gets the example, not the README's lines at the same numbers (which
    # CPython 3.13's tokenizer refuses)
    filename = "<README.md, the Hypothesis example>"
    linecache.cache[filename] = (len(example), None, example.splitlines(keepends=True), filename)
    exec(compile(example, filename, "exec"), namespace)  # noqa: S102 - the README's own example
    settings(max_examples=5)(namespace["test_riskcast_survives"])()
