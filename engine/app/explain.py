"""``rehab explain``: the decision path as a readable tree (or the same as JSON)."""

from __future__ import annotations

import json
from typing import Any

from engine.app.clinic import Clinic
from engine.load.content import Content
from engine.models.assessment import Assessment
from engine.plan.pipeline import Result, evaluate


def explain_data(result: Result, content: Content) -> dict[str, Any]:
    """Return the decision path as data: findings, derived facts, rules, plan."""
    plan = result.plan
    rules = content.rules()
    fired = []
    for t in plan.trace:
        rule = rules[t.rule]
        fired.append(
            {
                "rule": t.rule,
                "priority": rule.priority,
                "description": rule.description,
                "fired_on": t.fired_on,
                "derived": t.derived,
                "evidence": list(rule.evidence),
                "actions": [a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in rule.then],
            }
        )
    return {
        "client": plan.client.model_dump(),
        "assessed_on": plan.assessed_on,
        "findings": [f.model_dump(mode="json") for f in plan.findings],
        "facts": result.facts.facts,
        "derived": [d for t in plan.trace for d in t.derived],
        "rules": fired,
        "plan": plan.model_dump(mode="json"),
    }


def _finding_line(f: dict[str, Any]) -> str:
    value = f["value"]
    unit = {"deg": "°", "cm": " cm", "spm": " spm"}.get(f.get("unit") or "", "")
    shown = f"{value:g}{unit}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    side = f" {f['side']}" if f.get("side") else ""
    mark = "  ← flagged" if f["flagged"] else ""
    return f"  {f['finding']}{side}: {shown} → {f['grade']}  ({f['threshold']}){mark}"


def _dose(d: dict[str, Any]) -> str:
    from engine.render.handout import dose_text

    return dose_text(d)


def explain_text(data: dict[str, Any]) -> str:
    """Render the explanation as an indented tree."""
    plan = data["plan"]
    out = [f"{data['client']['name']} — assessed {data['assessed_on']}", "", "Findings (thresholds crossed)"]
    out += [_finding_line(f) for f in data["findings"]] or ["  none recorded"]
    out += ["", "Derived facts"]
    out += [
        f"  {d['kind']}("
        + ", ".join(f"{k}={v}" for k, v in d.items() if k not in ("kind", "derived_by"))
        + f")  ← {d['derived_by']}"
        for d in data["derived"]
    ] or ["  none"]
    out += ["", "Rules fired (in firing order)"]
    for i, r in enumerate(data["rules"], 1):
        out.append(f"  {i}. {r['rule']} [priority {r['priority']}] — {r['description']}")
        out.append(f"     on: {'; '.join(r['fired_on'])}")
        for a in r["actions"]:
            ((kind, value),) = a.items()
            out.append(f"     → {kind}: {json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value}")
        out.append(f"     evidence: {', '.join(r['evidence'])}")
    if not data["rules"]:
        out.append("  none")
    out += ["", f"Plan: {plan['status']}, review in {plan['review_in_days']} days"]
    for r in plan["referrals"]:
        out.append(f"  REFER ({r['urgency']}): {r['reason']}  ← {r['rule']}")
    for i, e in enumerate(plan["exercises"], 1):
        out.append(f"  {i}. {e['name']} ({e['id']}) — {e['side']}, {e['ladder']} L{e['level']}, {_dose(e['dosage'])}")
        for b in e["because"]:
            vals = ", ".join(f"{k}={v}" for k, v in b["values"].items())
            out.append(
                f"       because {b['rule']}" + (f" on {vals}" if vals else "") + f" [{', '.join(b['evidence'])}]"
            )
    for x in plan["excluded"]:
        out.append(f"  excluded {x['exercise']}: {x['reason']}  ← {x['rule']}")
    for x in plan.get("not_included", []):
        out.append(f"  not included {x['exercise']}: {x['reason']}")
    for key, label in (("precautions", "precaution"), ("cues", "cue"), ("education", "education")):
        for t in plan[key]:
            out.append(f"  {label}: {t['text']}  ← {t['rule']}")
    return "\n".join(out) + "\n"


def explain(clinic: Clinic, assessment: Assessment) -> dict[str, Any]:
    """The decision path for an assessment as data (``explain_text`` or ``explain_json`` show it)."""
    content = clinic.content()
    return explain_data(evaluate(content, assessment), content)


def explain_json(data: dict[str, Any]) -> str:
    """The explanation as JSON (sorted keys)."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
