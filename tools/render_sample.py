"""Dev harness: render sample handouts and clinician reports for a person to look at.

    python tools/render_sample.py [OUT_DIR]        # default /tmp/render

Renders the seed example with 1, 3 and 8 of the library's wordiest exercises swapped in, an
urgent referral and the no-findings example, at A4 and Letter; checks that each render is
byte-identical when repeated, and prints page counts and how full each page is. Turn pages into
PNGs with ``pdftoppm -png -r 50 FILE.pdf PREFIX``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXAMPLES = ROOT / "examples"


def main(out: Path) -> int:
    """Render every sample at A4 and Letter; check determinism."""
    from pypdf import PdfReader

    from engine.load.content import load_content
    from engine.plan.pipeline import evaluate, load_assessment
    from engine.render import pdf
    from engine.render.handout import load_template
    from engine.render.view import View, build
    from tests.test_pdf_layout import EIGHT, _fills, _plan_with

    out.mkdir(parents=True, exist_ok=True)
    template, folder = load_template()
    content = load_content()

    def example(name: str) -> View:
        r = evaluate(content, load_assessment(EXAMPLES / f"{name}.yaml"))
        return build(r.plan, content.library.exercises, r.assessment)

    samples = {
        "one": _plan_with(EIGHT[:1]),
        "three": _plan_with(EIGHT[:3]),
        "eight": _plan_with(EIGHT),
        "urgent": example("cauda-equina-red-flag"),
        "none": example("no-findings"),
    }
    for name, view in samples.items():
        for paper in ("a4", "letter"):
            for kind, fn in (("handout", pdf.render_handout), ("report", pdf.render_clinician_report)):
                data = fn(view, template, folder, paper=paper)
                assert data == fn(view, template, folder, paper=paper), f"{name} {kind} {paper}: not deterministic"
                path = out / f"{name}-{kind}-{paper}.pdf"
                path.write_bytes(data)
                pages = len(PdfReader(io.BytesIO(data)).pages)
                fills = " ".join(f"{f:.0%}" for f in _fills(data)) if kind == "handout" else ""
                print(f"{path}: {pages} page(s), {len(data)} bytes {fills}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/render")))  # noqa: S108
