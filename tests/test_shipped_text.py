"""Shipped text names only files that ship (issue 13): no project-internal briefs in docstrings,
comments, rule notes, templates, schemas or the README."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("engine", "rules", "exercises", "templates", "schemas")
UNSHIPPED = re.compile(
    r"\b(DESIGN|CLINICAL|DURABLE|STYLE|WEB)\.md\b|\b(CLINICAL|DURABLE|DESIGN) §|/work/shared|shared/[A-Z]"
)
ALLOW: set[str] = set()


def test_shipped_text_names_no_unshipped_file() -> None:
    files = [ROOT / "README.md"]
    for top in SHIPPED:
        files += [p for p in (ROOT / top).rglob("*") if p.suffix in (".py", ".yaml", ".json", ".md", ".txt")]
    assert len(files) > 50
    hits = []
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOW:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNSHIPPED.search(line):
                hits.append(f"{rel}:{n}: {line.strip()[:100]}")
    assert hits == [], "\n".join(hits)
