"""``make demo``: plan every example, writing handouts, clinician reports and plans."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.app.clinic import Clinic
from engine.app.planning import BatchItem, plan_batch


def _show(item: BatchItem) -> None:
    if item.status is None:
        print("\n" + item.error, file=sys.stderr)


def main(argv: list[str]) -> int:
    """Plan ``<examples>/*.yaml`` into ``<out>`` (created), replacing earlier demo output."""
    examples, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(examples.glob("*.yaml"))
    result = plan_batch(Clinic(), paths, out, force=True, on_item=_show)
    print(result.summary, file=sys.stderr)
    print(f"handouts: {', '.join(str(out / (p.stem + '.pdf')) for p in paths[:3])}, …")
    return 2 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["examples", "examples/out"]))
