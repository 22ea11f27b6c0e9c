"""``make demo``: plan every example, writing handouts, clinician reports and plans."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.app.commands import PlanOptions, plan_batch


def main(argv: list[str]) -> int:
    """Plan ``<examples>/*.yaml`` into ``<out>`` (created), replacing earlier demo output."""
    examples, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(examples.glob("*.yaml"))
    code = plan_batch(paths, out, PlanOptions(None, None, None, "a4", force=True))
    print(f"handouts: {', '.join(str(out / (p.stem + '.pdf')) for p in paths[:3])}, …")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["examples", "examples/out"]))
