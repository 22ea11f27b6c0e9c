"""A plan (Contract 2) as a FHIR R4 ``collection`` Bundle, byte-identical on every export.

Entries, in order: Patient (only what the plan holds: name and the clinic's id), CarePlan
(category SNOMED 229065009 *exercise therapy*, period from the assessment to the review date),
one ServiceRequest per exercise (code, side, dose as Timing plus text, ``basedOn`` the CarePlan),
one ServiceRequest per referral (SNOMED 3457005 *patient referral*, with its priority), the
PlanDefinition (rules hash) and ActivityDefinitions (exercises hash) they instantiate, and a
DocumentReference holding the handout PDF. Ids are UUIDv5 of the plan's hash, so the same plan
always gives the same bundle; references use the entries' ``urn:uuid:`` full URLs.

Pure data, no FHIR library: :func:`check_bundle` holds the checks the tests also run with the
``fhir.resources`` R4B models (a test-only dependency).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from engine.models.plan import Plan

BASE = "https://rehab-rules.invalid/fhir"
NAMESPACE = uuid.UUID("6f1c7a52-3d0e-5b8e-9a51-2c4f0d1e7b16")
SNOMED = "http://snomed.info/sct"
EXERCISE_SYSTEM = f"{BASE}/CodeSystem/exercise"
URGENCY_SYSTEM = f"{BASE}/CodeSystem/urgency"
CLIENT_ID_SYSTEM = f"{BASE}/sid/client-id"
PLAN_HASH_SYSTEM = f"{BASE}/sid/plan-sha256"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"

EXERCISE_THERAPY = {"system": SNOMED, "code": "229065009", "display": "Exercise therapy"}
REFERRAL = {"system": SNOMED, "code": "3457005", "display": "Patient referral"}
SIDES = {
    "left": {"system": SNOMED, "code": "7771000", "display": "Left"},
    "right": {"system": SNOMED, "code": "24028007", "display": "Right"},
    "both": {"system": SNOMED, "code": "51440002", "display": "Right and left"},
}
PRIORITY = {"emergency": "stat", "urgent": "urgent", "soon": "routine", "routine": "routine"}
"""Plan urgency → FHIR request-priority. 'soon' has no FHIR word between urgent and routine: it
goes out as routine and keeps the plan's word in ``orderDetail`` (never inflated to urgent)."""

SNOMED_CODES = {c["code"] for c in (EXERCISE_THERAPY, REFERRAL, *SIDES.values())}
"""Every SNOMED CT code this export writes (the binding check refuses any other)."""
REQUIRED_CODES: dict[tuple[str, str], set[str]] = {
    ("Bundle", "type"): {"collection"},
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("ServiceRequest", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("ServiceRequest", "intent"): {
        "proposal",
        "plan",
        "directive",
        "order",
        "original-order",
        "reflex-order",
        "filler-order",
        "instance-order",
        "option",
    },
    ("ServiceRequest", "priority"): {"routine", "urgent", "asap", "stat"},
    ("DocumentReference", "status"): {"current", "superseded", "entered-in-error"},
    ("PlanDefinition", "status"): {"draft", "active", "retired", "unknown"},
    ("ActivityDefinition", "status"): {"draft", "active", "retired", "unknown"},
    ("ActivityDefinition", "kind"): {"ServiceRequest"},
}
UCUM_TIME = {"s", "min", "h", "d", "wk", "mo", "a"}


def plan_sha256(plan: Plan) -> str:
    """SHA-256 of the plan's canonical JSON (the seed of every id in the bundle)."""
    return hashlib.sha256(plan.to_json().encode("utf-8")).hexdigest()


def _name(text: str) -> str:
    """A FHIR computable name (``^[A-Z][A-Za-z0-9_]*$``) from an id like ``wb-glute-med-hold``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    out = "".join(w[:1].upper() + w[1:] for w in words) or "Item"
    return out if out[0].isalpha() else f"X{out}"


def _side_text(side: str) -> str:
    return {"left": "left side", "right": "right side", "both": "both sides"}[side]


def build_bundle(plan: Plan, handout_pdf: bytes | None, dose_text: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    """Return the Bundle as plain JSON data (see the module docstring)."""
    seed = plan_sha256(plan)

    def uid(*parts: str) -> str:
        return str(uuid.uuid5(NAMESPACE, "/".join((seed, *parts))))

    def ref(rid: str, display: str | None = None) -> dict[str, str]:
        out = {"reference": f"urn:uuid:{rid}"}
        if display:
            out["display"] = display
        return out

    gw = plan.generated_with
    start = plan.assessed_on
    review = (dt.date.fromisoformat(start) + dt.timedelta(days=plan.review_in_days)).isoformat()
    period = {"start": start, "end": review}
    pat_id, cp_id, pd_id, doc_id = uid("Patient"), uid("CarePlan"), uid("PlanDefinition"), uid("DocumentReference")
    subject = ref(pat_id, plan.client.name)
    pd_url = f"{BASE}/PlanDefinition/rehab-rules"
    pd_canonical = f"{pd_url}|{gw.rules_sha256}"

    patient: dict[str, Any] = {"resourceType": "Patient", "id": pat_id}
    if plan.client.id:
        patient["identifier"] = [{"system": CLIENT_ID_SYSTEM, "value": plan.client.id}]
    patient["name"] = [{"text": plan.client.name}]

    exercise_srs: list[dict[str, Any]] = []
    activity_defs: dict[str, dict[str, Any]] = {}
    for n, ex in enumerate(plan.exercises):
        ad_url = f"{BASE}/ActivityDefinition/{ex.id}"
        code = {"coding": [{"system": EXERCISE_SYSTEM, "code": ex.id, "display": ex.name}], "text": ex.name}
        if ex.id not in activity_defs:
            activity_defs[ex.id] = {
                "resourceType": "ActivityDefinition",
                "id": uid("ActivityDefinition", ex.id),
                "url": ad_url,
                "identifier": [{"system": f"{BASE}/sid/exercises-sha256", "value": gw.exercises_sha256}],
                "version": gw.exercises_sha256,
                "name": _name(ex.id),
                "title": ex.name,
                "status": "active",
                "description": f"{ex.name}: ladder {ex.ladder}, level {ex.level}; targets {', '.join(ex.targets)}.",
                "kind": "ServiceRequest",
                "code": code,
            }
        dose = ex.dosage.model_dump(mode="json")
        words = dose_text(dose)
        repeat: dict[str, Any] = {
            "boundsPeriod": dict(period),
            "frequency": ex.dosage.per_week,
            "period": 1,
            "periodUnit": "wk",
        }
        if ex.dosage.minutes:
            repeat.update(duration=ex.dosage.minutes, durationUnit="min")
        reasons = [
            {"text": f"rule {b.rule}" + (f": {', '.join(b.findings)}" if b.findings else "")} for b in ex.because
        ]
        sr: dict[str, Any] = {
            "resourceType": "ServiceRequest",
            "id": uid("ServiceRequest", "exercise", str(n), ex.id, ex.side),
            "instantiatesCanonical": [f"{ad_url}|{gw.exercises_sha256}"],
            "basedOn": [ref(cp_id)],
            "status": "active",
            "intent": "order",
            "category": [{"coding": [dict(EXERCISE_THERAPY)]}],
            "code": code,
            "orderDetail": [{"coding": [dict(SIDES[ex.side])], "text": _side_text(ex.side)}],
            "subject": subject,
            "occurrenceTiming": {"repeat": repeat, "code": {"text": words}},
            "patientInstruction": f"{ex.name} ({_side_text(ex.side)}): {words}",
        }
        if reasons:
            sr["reasonCode"] = reasons
        exercise_srs.append(sr)

    referral_srs: list[dict[str, Any]] = []
    for n, r in enumerate(plan.referrals):
        referral_srs.append(
            {
                "resourceType": "ServiceRequest",
                "id": uid("ServiceRequest", "referral", str(n), r.rule),
                "basedOn": [ref(cp_id)],
                "status": "active",
                "intent": "order",
                "category": [{"coding": [dict(REFERRAL)]}],
                "priority": PRIORITY[r.urgency],
                "code": {"coding": [dict(REFERRAL)], "text": "Referral"},
                "orderDetail": [
                    {"coding": [{"system": URGENCY_SYSTEM, "code": r.urgency}], "text": f"urgency: {r.urgency}"}
                ],
                "subject": subject,
                "reasonCode": [{"text": r.reason}],
                "note": [{"text": f"rule {r.rule}"}],
            }
        )

    care_plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": cp_id,
        "identifier": [{"system": PLAN_HASH_SYSTEM, "value": seed}],
        "instantiatesCanonical": [pd_canonical],
        "status": "active",
        "intent": "plan",
        "category": [{"coding": [dict(EXERCISE_THERAPY)]}],
        "title": "Running rehabilitation exercise plan",
        "description": f"status {plan.status}; revision {plan.revision}; review in {plan.review_in_days} days",
        "subject": subject,
        "period": period,
        "created": start,
    }
    if plan.clinician and (plan.clinician.name or plan.clinician.clinic):
        care_plan["author"] = {"display": ", ".join(x for x in (plan.clinician.name, plan.clinician.clinic) if x)}
    activities = [{"reference": ref(sr["id"], sr["code"]["text"])} for sr in (*referral_srs, *exercise_srs)]
    if activities:
        care_plan["activity"] = activities
    if handout_pdf is not None:
        care_plan["supportingInfo"] = [ref(doc_id, "Exercise handout (PDF)")]
    notes = [p.text for p in plan.precautions] + [e.text for e in plan.education]
    if notes:
        care_plan["note"] = [{"text": t} for t in notes]

    plan_def: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": pd_id,
        "url": pd_url,
        "identifier": [
            {"system": f"{BASE}/sid/rules-sha256", "value": gw.rules_sha256},
            {"system": f"{BASE}/sid/exercises-sha256", "value": gw.exercises_sha256},
        ],
        "version": gw.rules_sha256,
        "name": "RehabRulesRuleSet",
        "title": "rehab-rules rule set",
        "type": {
            "coding": [{"system": PLAN_DEFINITION_TYPE, "code": "clinical-protocol", "display": "Clinical Protocol"}]
        },
        "status": "active",
        "description": (
            f"rehab-rules {gw.engine}: rules sha256 {gw.rules_sha256}, exercises sha256 {gw.exercises_sha256}"
        ),
    }
    if activity_defs:
        plan_def["action"] = [
            {"title": ad["title"], "definitionCanonical": f"{ad['url']}|{ad['version']}"}
            for ad in activity_defs.values()
        ]

    entries: list[dict[str, Any]] = [
        patient,
        care_plan,
        *exercise_srs,
        *referral_srs,
        plan_def,
        *activity_defs.values(),
    ]
    if handout_pdf is not None:
        entries.append(
            {
                "resourceType": "DocumentReference",
                "id": doc_id,
                "status": "current",
                "type": {"text": "Exercise handout"},
                "subject": subject,
                "description": "Client exercise handout",
                "content": [
                    {
                        "attachment": {
                            "contentType": "application/pdf",
                            "data": base64.b64encode(handout_pdf).decode("ascii"),
                            "size": len(handout_pdf),
                            "hash": base64.b64encode(hashlib.sha1(handout_pdf).digest()).decode("ascii"),  # noqa: S324 - FHIR Attachment.hash is SHA-1
                            "title": "Exercise handout",
                        }
                    }
                ],
                "context": {"related": [ref(cp_id)]},
            }
        )
    return {
        "resourceType": "Bundle",
        "id": uid("Bundle"),
        "identifier": {"system": PLAN_HASH_SYSTEM, "value": seed},
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries],
    }


def bundle_json(bundle: dict[str, Any]) -> str:
    """Serialise deterministically (2-space indent, UTF-8, trailing newline)."""
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------ checks


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def check_bundle(bundle: dict[str, Any], exercise_ids: set[str] | None = None) -> list[str]:
    """What a generic FHIR model does not check; returns the problems (empty = fine).

    * every ``reference`` resolves to an entry's ``fullUrl``; every canonical to an entry's
      ``url|version``;
    * CarePlan.activity has a reference or a detail, never both (R4 cpl-3);
    * codes: required value sets used (status, intent, priority, Bundle.type, Timing units), SNOMED
      codes only from :data:`SNOMED_CODES`, exercise codes only from the library (when given).
    """
    problems: list[str] = []
    entries = bundle.get("entry") or []
    full_urls = {e.get("fullUrl") for e in entries}
    canonicals = {
        f"{e['resource']['url']}|{e['resource'].get('version', '')}"
        for e in entries
        if isinstance(e.get("resource"), dict) and "url" in e["resource"]
    }
    if bundle.get("type") not in REQUIRED_CODES[("Bundle", "type")]:
        problems.append(f"Bundle.type {bundle.get('type')!r} is not collection")
    for i, entry in enumerate(entries):
        res = entry.get("resource") or {}
        rtype = res.get("resourceType", "?")
        where = f"entry[{i}] {rtype}"
        if entry.get("fullUrl") != f"urn:uuid:{res.get('id')}":
            problems.append(f"{where}: fullUrl does not match the id")
        for (t, key), allowed in REQUIRED_CODES.items():
            if t == rtype and key in res and res[key] not in allowed:
                problems.append(f"{where}.{key}: {res[key]!r} is not in the required value set")
        if rtype == "CarePlan":
            for j, act in enumerate(res.get("activity") or []):
                if ("reference" in act) == ("detail" in act):
                    problems.append(f"{where}.activity[{j}]: needs a reference or a detail, not both or neither")
        for path, node in _walk(res):
            if isinstance(node, dict) and isinstance(node.get("reference"), str) and node["reference"] not in full_urls:
                problems.append(f"{where}.{path}: {node['reference']} does not resolve in the bundle")
            canonical = path.endswith("Canonical") or re.search(r"Canonical\[\d+\]$", path)
            if canonical and isinstance(node, str) and node not in canonicals:
                problems.append(f"{where}.{path}: {node} does not resolve in the bundle")
            if isinstance(node, dict) and "system" in node and "code" in node:
                if node["system"] == SNOMED and node["code"] not in SNOMED_CODES:
                    problems.append(f"{where}.{path}: SNOMED code {node['code']} is not one this export uses")
                if node["system"] == EXERCISE_SYSTEM and exercise_ids is not None and node["code"] not in exercise_ids:
                    problems.append(f"{where}.{path}: exercise {node['code']} is not in the library")
                if node["system"] == URGENCY_SYSTEM and node["code"] not in PRIORITY:
                    problems.append(f"{where}.{path}: urgency {node['code']} is unknown")
            if path.endswith("repeat") and isinstance(node, dict):
                for unit_key in ("periodUnit", "durationUnit"):
                    if unit_key in node and node[unit_key] not in UCUM_TIME:
                        problems.append(f"{where}.{path}.{unit_key}: {node[unit_key]!r} is not a UCUM time unit")
    return problems


# ------------------------------------------------------------------------------ the command


def export_fhir(
    plan_path: Any,
    output: Any,
    *,
    handout: Any = None,
    assessment: Any = None,
    rules: Any = None,
    exercises: Any = None,
    templates: Any = None,
    paper: str = "a4",
    force: bool = False,
) -> str:
    """The ``rehab export fhir`` command: read the plan, get the handout, write the bundle.

    The handout is ``handout`` (a PDF file) when given, else rendered with the existing handout
    function from the plan (and ``assessment``, when given, for what only it holds).
    """
    from pathlib import Path

    from engine.app.output import check_target, write_atomic
    from engine.errors import InputError
    from engine.load.content import load_content
    from engine.plan.progression import load_plan
    from engine.render.handout import dose_text

    inputs = tuple(Path(p) for p in (plan_path, handout, assessment) if p is not None)
    check_target(Path(output), force=force, protect=inputs)
    if paper.lower() not in ("a4", "letter"):
        raise InputError.at("--paper", f"'{paper}' is not a paper size; use a4 or letter")
    content = load_content(rules, exercises)
    plan = load_plan(plan_path, content)
    if handout is not None:
        try:
            pdf = Path(handout).read_bytes()
        except OSError as exc:
            raise InputError.at(str(handout), f"cannot read: {exc.strerror or exc}") from None
        if not pdf.startswith(b"%PDF-"):
            raise InputError.at(str(handout), "not a PDF file", line=1)
    else:
        from engine.render.handout import render

        first_visit = None
        if assessment is not None:
            from engine.plan.pipeline import load_assessment

            first_visit = load_assessment(assessment)
        pdf = render(plan, content, first_visit, templates_dir=templates, paper=paper.lower())
    bundle = build_bundle(plan, pdf, lambda d: dose_text(d, templates))
    problems = check_bundle(bundle, set(content.library.exercises))
    if problems:  # a bug, not the user's: never write a bundle that fails its own checks
        raise RuntimeError("FHIR bundle failed its checks: " + "; ".join(problems[:5]))
    text = bundle_json(bundle)
    write_atomic(Path(output), text, force=force)
    return text
