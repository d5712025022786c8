"""The fenced blocks of the documentation (README.md and docs/*.md), with the HTML comment
marker on the line before each: what test_docs.py runs and test_docs_types.py type-checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# A fenced block, with the HTML comment on the line before it when there is one.
_BLOCK = re.compile(
    r"(?:^<!-- (?P<marker>[a-z ]+)(?:: (?P<argument>.*?))? -->\n)?"
    r"^```(?P<language>\w*)\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Block:
    """One fenced block of a page."""

    page: Path
    line: int
    language: str
    code: str
    marker: str | None
    argument: str | None

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of ``page`` with their markers."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("language")) + 1
        found.append(
            Block(page, line, match["language"], match["code"], match["marker"], match["argument"])
        )
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]
PYTHON_BLOCKS = [block for block in ALL_BLOCKS if block.language == "python"]
