"""``make serve``: a demo clinic folder made from examples/ (one client per example, plan 1 made).

The clinic gets its own copies of the shipped rules/ and exercises/, so the rules editor works.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def build_demo(examples: Path, clinic: Path) -> list[str]:
    """Create ``clinic`` afresh from ``examples/*.yaml``; return the client folders."""
    from engine.load.resources import data_dir
    from engine.web.core import Engine
    from engine.web.store import Clinic

    if clinic.exists():
        shutil.rmtree(clinic)
    clinic.mkdir(parents=True)
    for kind in ("rules", "exercises"):
        shutil.copytree(data_dir(kind), clinic / kind)
    engine = Engine(clinic / "rules", clinic / "exercises")
    store = Clinic(clinic)
    folders = []
    for path in sorted(examples.glob("*.yaml")):
        assessment = engine.load_assessment(path)
        with store.lock():
            c = store.new_client(assessment.client.name, assessment.client.id, engine.dump_yaml)
            text = path.read_text(encoding="utf-8").replace("$schema=../schemas/", "$schema=../../../schemas/")
            c.write_new(c.file(1, "assessment"), text)
            c.write_new(c.file(1, "plan"), engine.plan(engine.load_assessment(c.file(1, "assessment"))).plan.to_json())
        folders.append(c.folder)
    return folders


def main(argv: list[str]) -> int:
    """``python -m engine.web.demo EXAMPLES CLINIC``."""
    examples, clinic = Path(argv[0]), Path(argv[1])
    folders = build_demo(examples, clinic)
    print(f"demo clinic {clinic}: {len(folders)} clients")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["examples", "examples/out/clinic"]))
