"""Benchmarks: compile and evaluation times, whole-process planning, PDF rendering, batch throughput.

Run with `make bench` (or `python benchmarks/run.py [--quick]`). Medians are printed as a
Markdown table and written to benchmarks/results.md; README quotes them.
"""

from __future__ import annotations

import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.evaluate.compiler import compile_rules  # noqa: E402
from engine.evaluate.runtime import runtime  # noqa: E402
from engine.load.content import _load, derive_fn, load_content  # noqa: E402
from engine.models.rule import RuleFile  # noqa: E402
from engine.plan.pipeline import evaluate, load_assessment  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
REHAB = [str(Path(sys.executable).with_name("rehab"))]


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def generated_rules(n: int, seed: int = 7) -> tuple[RuleFile, list[list[dict[str, Any]]]]:
    """DURABLE.md §7 shape: 80 % single-fact thresholds, 20 % equality joins on side, 100 kinds."""
    rng = random.Random(seed)
    rules = []
    for i in range(n):
        k = rng.randrange(100)
        if rng.random() < 0.8:
            when: dict[str, Any] = {"fact": f"f{k}", "where": {"field": "value", "gt": rng.uniform(0, 10)}}
        else:
            j = (k + 1 + rng.randrange(99)) % 100
            when = {
                "all": [
                    {"fact": f"f{k}", "as": "a", "where": {"field": "value", "gt": rng.uniform(0, 10)}},
                    {"fact": f"f{j}", "as": "b", "where": {"field": "side", "eq": {"ref": "a.side"}}},
                ]
            }
        rules.append(
            {
                "id": f"g{i}",
                "description": "generated",
                "priority": rng.randrange(6),
                "evidence": ["x"],
                "when": when,
                "then": [{"cue": "c"}],
            }
        )
    facts = [
        [
            {
                "kind": f"f{rng.randrange(100)}",
                "fid": f"x{m}",
                "value": rng.uniform(0, 10),
                "side": rng.choice(["left", "right"]),
            }
            for m in range(10)
        ]
        for _ in range(50)
    ]
    return RuleFile.model_validate({"version": 1, "rules": rules}), facts


def bench_engine(quick: bool) -> list[tuple[str, str]]:
    rows = []
    _load.cache_clear()
    start = time.perf_counter()
    content = load_content()
    rows.append(
        (
            "load + link + compile the shipped content (cold, in process)",
            f"{(time.perf_counter() - start) * 1000:.1f} ms",
        )
    )
    rules = content.book.rules["assessment"]
    rows.append(
        (
            f"compile the shipped assessment rules ({len(rules)} rules)",
            f"{median_ms(lambda: compile_rules(rules), 20):.2f} ms",
        )
    )
    assessments = [load_assessment(p) for p in EXAMPLES]
    evaluate(content, assessments[0])
    per = median_ms(lambda: [evaluate(content, a) for a in assessments], 10 if quick else 40) / len(assessments)
    rows.append(("evaluate + build plan, shipped rules, per assessment", f"{per:.2f} ms"))
    rt = runtime()
    for n in (10, 100, 1000):
        doc, fact_sets = generated_rules(n)
        t0 = time.perf_counter()
        compiled = compile_rules(doc.rules, f"bench{n}")
        compile_ms = (time.perf_counter() - t0) * 1000
        rt.register(compiled, derive_fn({r.id: r for r in doc.rules}))
        per = median_ms(lambda c=compiled, fs=fact_sets: [rt.evaluate(c, f) for f in fs], 5 if quick else 20) / len(
            fact_sets
        )
        rows.append(
            (f"{n} generated rules: compile / evaluate (10 facts)", f"{compile_ms:.1f} ms / {per * 1000:.0f} µs")
        )
        rt.unregister(compiled.name)
    return rows


def wall(cmd: list[str], repeat: int) -> float:
    return median_ms(lambda: subprocess.run(cmd, capture_output=True, check=False), repeat)


def bench_process(quick: bool) -> list[tuple[str, str]]:
    from engine.render.handout import render

    rows = []
    seed = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
    n = 5 if quick else 15
    rows.append(("`rehab --help` (whole process)", f"{wall([*REHAB, '--help'], n):.0f} ms"))
    rows.append(
        (
            "baseline: import durable, fpdf, pydantic, yaml, typer (whole process)",
            f"{wall([sys.executable, '-c', 'import durable.engine, fpdf, pydantic, yaml, typer'], n):.0f} ms",
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows.append(
            (
                "`rehab plan --json` (whole process, one assessment)",
                f"{wall([*REHAB, 'plan', str(seed), '--json', str(out / 'p.json'), '--force'], n):.0f} ms",
            )
        )
        rows.append(
            (
                "floor: benchmarks/floor.py, plain fpdf2 5-page handout + the five imports (whole process)",
                f"{wall([sys.executable, str(ROOT / 'benchmarks' / 'floor.py'), str(out / 'f.pdf')], n):.0f} ms",
            )
        )
        rows.append(
            (
                "`rehab plan -o handout.pdf --json` (whole process)",
                f"{wall([*REHAB, 'plan', str(seed), '-o', str(out / 'h.pdf'), '--json', str(out / 'p.json'), '--force'], n):.0f} ms",
            )
        )
        content = load_content()
        a = load_assessment(seed)
        r = evaluate(content, a)
        render(r.plan, content, r.assessment)
        rows.append(
            (
                "plan + handout PDF, in process",
                f"{median_ms(lambda: render(evaluate(content, a).plan, content, a), n):.0f} ms",
            )
        )
        batch = out / "batch"
        batch.mkdir()
        count = 40 if quick else 200
        for i in range(count):
            shutil.copy(EXAMPLES[i % len(EXAMPLES)], batch / f"a{i:03d}.yaml")
        dest = out / "out"
        dest.mkdir()
        start = time.perf_counter()
        subprocess.run(
            [*REHAB, "plan", *map(str, sorted(batch.glob("*.yaml"))), "--out-dir", str(dest), "--jobs", "2"],
            capture_output=True,
            check=True,
        )
        secs = time.perf_counter() - start
        rows.append(
            (
                f"batch of {count} assessments, --out-dir --jobs 2 (handout + plan each)",
                f"{secs:.1f} s = {count / secs:.1f} handouts/s",
            )
        )
    return rows


def main() -> None:
    quick = "--quick" in sys.argv
    rows = bench_engine(quick) + bench_process(quick)
    machine = f"{platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, {platform.system()}"
    lines = [f"Machine: {machine} (2 cores)", "", "| what | median |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if not quick:
        (ROOT / "benchmarks" / "results.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
