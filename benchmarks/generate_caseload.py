"""A seeded generator of a clearly FICTIONAL probation caseload, one case a line (JSON Lines).

Nobody in it exists: ids are `fict-NNNNNN`, dates of birth and sentences are drawn from simple
distributions. It is shaped to look like a CRC caseload so that the caseload report and the batch
benchmark have something realistic to chew on:

- needs are identified with decreasing prevalence in the inspection report's priority order
  (Table 4: thinking and behaviour, emotional wellbeing, alcohol, relationships, drugs,
  accommodation, attitudes; then lifestyle, ETE and finance, which the table does not list);
- about half the cases lack one to four fields (a risk score, a need score, a date of birth, the
  order length, transport...), because missing information is normal at court;
- about one case in six carries after-sentence records: a RAR ledger (activity days with the
  intervention delivered, and supervision contacts wrongly recorded as RAR days) and programmes
  completed.

Same seed, same Python: same file, byte for byte.

    python benchmarks/generate_caseload.py --cases 8142 --out examples/caseload/cases.jsonl      # BeNCH CRC
    python benchmarks/generate_caseload.py --cases 262388 --out /tmp/national.jsonl             # England and Wales
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ON = dt.date(2017, 3, 1)  # the reference date the examples are screened on
SEED = 20170301

# (town, share of the caseload): Northampton is the largest town and the CRC's main office
TOWNS = [("northampton", 40), ("kettering", 14), ("corby", 12), ("wellingborough", 13), ("daventry", 7),
         ("east_northamptonshire", 8), ("south_northamptonshire", 6)]

# (section, share of cases with the need identified, threshold or None for unscored sections),
# in the report's priority order (Table 4), then the needs it does not list
NEEDS = [
    ("thinking_and_behaviour", 0.68, 4),
    ("emotional_wellbeing", 0.55, None),
    ("alcohol_misuse", 0.46, 4),
    ("relationships", 0.42, 2),
    ("drug_misuse", 0.37, 2),
    ("accommodation", 0.31, 2),
    ("attitude", 0.28, 2),
    ("lifestyle_and_associates", 0.26, 2),
    ("education_training_and_employability", 0.22, 3),
    ("finance", 0.18, None),
]

# interventions delivered to people with each need, for the after-sentence records (default catalog ids)
DELIVERED = {
    "thinking_and_behaviour": ["bold_moves_victim_awareness", "bold_moves_anger_management", "tsp"],
    "emotional_wellbeing": ["c2c_trauma_support", "ormiston_family_support", "bold_moves_male_victims_support"],
    "alcohol_misuse": ["s2s_alcohol"],
    "relationships": ["bold_moves_safer_relationships", "ormiston_parenting_group", "bbr"],
    "drug_misuse": ["s2s_drr_group"],
    "accommodation": ["nacro_accommodation", "c2c_mentoring"],
    "attitude": ["bold_moves_motivation", "bold_moves_victim_awareness"],
    "lifestyle_and_associates": ["sova_mentoring", "bold_moves_motivation"],
    "education_training_and_employability": ["crc_ete", "c2c_basic_skills"],
    "finance": ["crc_ete"],
}

# fields that are often not known at court; half the cases lack one to four of them
OFTEN_MISSING = [
    "risk.ogrs3_2yr", "risk.ovp_2yr", "risk.rsr", "risk.sara_partner", "risk.sara_others", "risk.mappa_level",
    "risk.rosh", "person.date_of_birth", "person.home_town", "sentence.length_months", "sentence.start",
    "responsivity.has_transport", "responsivity.reads_simple_sentences", "responsivity.mental_health_prevents_group_work",
    "motivation", "offence.intimate_partner_violence", "history.intimate_partner_violence",
    "needs.thinking_and_behaviour.score", "needs.relationships.score", "needs.alcohol_misuse.score",
    "needs.drug_misuse.score", "needs.emotional_wellbeing.identified", "needs.accommodation.score",
]


def _pick(rnd: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rnd.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _pct(rnd: random.Random, mean: float) -> float:
    # a skewed percentage with the given mean, two decimals like OASys prints them
    return round(min(99.99, rnd.betavariate(2, 2 * (100 - mean) / mean) * 100), 2)


def _date_of_birth(rnd: random.Random) -> dt.date:
    age = _pick(rnd, [(rnd.randint(18, 25), 22), (rnd.randint(26, 35), 34), (rnd.randint(36, 50), 30),
                      (rnd.randint(51, 75), 13), (17, 1)])
    return ON - dt.timedelta(days=round(365.25 * age) + rnd.randint(1, 360))


def _needs(rnd: random.Random, sex: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, share, threshold in NEEDS:
        if section == "emotional_wellbeing" and sex == "female":
            share = min(0.85, share + 0.2)  # women on probation report more trauma and mental ill health
        has = rnd.random() < share
        need: dict[str, Any] = {}
        if threshold is None:
            need["identified"] = has
        else:
            need["score"] = rnd.randint(threshold, min(12, threshold + 6)) if has else rnd.randint(0, threshold - 1)
        need["linked_to_harm"] = has and rnd.random() < 0.35
        need["linked_to_reoffending"] = has and rnd.random() < 0.7
        out[section] = need
    return out


def _sentence(rnd: random.Random) -> dict[str, Any]:
    kind = _pick(rnd, [("community_order", 50), ("suspended_sentence_order", 35), ("licence", 12),
                       ("post_sentence_supervision", 3)])
    length = _pick(rnd, [(6, 8), (12, 35), (18, 22), (24, 25), (36, 10)])
    if kind == "suspended_sentence_order":
        length = min(length, 24)  # its operational period is at most 2 years (CJA 2003 s.189(3))
    start = ON - dt.timedelta(days=rnd.randint(0, max(1, length * 30 - 15)))
    s: dict[str, Any] = {"type": kind, "length_months": length, "start": start.isoformat()}
    if kind in ("community_order", "suspended_sentence_order"):
        reqs = ["supervision"] if rnd.random() < 0.3 else []
        if rnd.random() < 0.7:
            reqs.append("rar")
            s["rar_days"] = _pick(rnd, [(10, 30), (15, 15), (20, 25), (30, 20), (40, 10)])
        for req, p in (("accredited_programme", 0.12), ("unpaid_work", 0.3), ("drug_rehabilitation", 0.06),
                       ("alcohol_treatment", 0.05), ("curfew", 0.08)):
            if rnd.random() < p:
                reqs.append(req)
        if "unpaid_work" in reqs:
            s["unpaid_work_hours"] = rnd.choice([40, 60, 80, 100, 120, 150, 200, 250])
        s["requirements"] = reqs
    return s


def _records(rnd: random.Random, case: dict[str, Any]) -> None:
    """After-sentence records for about one case in six: RAR days and programmes completed."""
    if rnd.random() >= 0.17:
        return
    identified = [s for s, _, t in NEEDS if _identified(case["needs"].get(s), t)]
    sentence = case["sentence"]
    start = dt.date.fromisoformat(sentence.get("start", ON.isoformat()))
    if "rar" in sentence.get("requirements", []):
        ledger = []
        for _ in range(rnd.randint(1, 8)):
            day = start + dt.timedelta(days=rnd.randint(0, max(0, (ON - start).days)))
            if identified and rnd.random() < 0.6:
                ledger.append({"date": day.isoformat(), "kind": "activity",
                               "intervention": rnd.choice(DELIVERED[rnd.choice(identified)])})
            else:
                ledger.append({"date": day.isoformat(), "kind": "supervision"})
        case["rar_ledger"] = sorted(ledger, key=lambda e: e["date"])
    if identified and rnd.random() < 0.4:
        done = {rnd.choice(DELIVERED[rnd.choice(identified)]) for _ in range(rnd.randint(1, 2))}
        case["history"]["completed_programmes"] = sorted(done)


def _identified(need: dict[str, Any] | None, threshold: int | None) -> bool:
    if not need:
        return False
    if threshold is None:
        return bool(need.get("identified"))
    return need.get("score") is not None and need["score"] >= threshold


def _drop(case: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    d = case
    for p in parents:
        d = d.get(p) or {}
    d.pop(last, None)


def generate_case(rnd: random.Random, i: int) -> dict[str, Any]:
    sex = "female" if rnd.random() < 0.15 else "male"
    category = _pick(rnd, [("violence", 32), ("acquisitive", 24), ("drugs", 14), ("motoring", 8), ("public_order", 6),
                           ("criminal_damage", 5), ("fraud", 3), ("sexual", 4), ("other", 4)])
    ipv = category == "violence" and rnd.random() < (0.45 if sex == "male" else 0.2)
    sexual = category == "sexual"
    rosh = _pick(rnd, [("low", 40), ("medium", 49), ("high", 10), ("very_high", 1)])
    case: dict[str, Any] = {
        "id": f"fict-{i:06d}",
        "person": {"sex": sex, "date_of_birth": _date_of_birth(rnd).isoformat(), "home_town": _pick(rnd, TOWNS),
                   "area": "northamptonshire"},
        "offence": {"category": category, "intimate_partner_violence": ipv, "sexual": sexual,
                    "internet_only": sexual and rnd.random() < 0.3},
        "history": {"intimate_partner_violence": ipv or rnd.random() < 0.08, "sexual": sexual or rnd.random() < 0.01,
                    "victim_of_domestic_abuse": rnd.random() < (0.35 if sex == "female" else 0.05),
                    "completed_programmes": []},
        "risk": {
            "rosh": rosh, "ogrs3_2yr": _pct(rnd, 45), "ovp_2yr": _pct(rnd, 25), "rsr": round(rnd.uniform(0.1, 6.5), 2),
            "osp_dc": rnd.choice(["low", "medium", "high"]) if sexual else "not_applicable",
            "osp_iic": rnd.choice(["low", "medium"]) if sexual and rnd.random() < 0.3 else "not_applicable",
            "sara_partner": rnd.choice(["low", "medium", "high"]) if ipv else "not_applicable",
            "sara_others": rnd.choice(["low", "medium"]) if category == "violence" else "not_applicable",
            "mappa_level": _pick(rnd, [(0, 90), (1, 8), (2, 2)]) if rosh in ("high", "very_high") or sexual else 0,
        },
        "needs": _needs(rnd, sex),
        "responsivity": {
            "learning_disability": rnd.random() < 0.08, "reads_simple_sentences": rnd.random() < 0.9,
            "needs_interpreter": rnd.random() < 0.03, "mental_health_prevents_group_work": rnd.random() < 0.05,
            "veteran": sex == "male" and rnd.random() < 0.05, "care_responsibilities": rnd.random() < (0.5 if sex == "female" else 0.15),
            "at_risk_in_group": rnd.random() < 0.04, "has_transport": rnd.random() < 0.45,
        },
        "motivation": _pick(rnd, [("close_to_change", 35), ("not_close_to_change", 45), ("low", 20)]),
        "sentence": _sentence(rnd),
    }
    if case["offence"]["intimate_partner_violence"] or case["history"]["intimate_partner_violence"]:
        case["offence"]["female_partner"] = sex == "male"  # fictional: the partner abused is of the other sex
    _records(rnd, case)
    if rnd.random() < 0.5:
        for path in rnd.sample(OFTEN_MISSING, rnd.randint(1, 4)):
            _drop(case, path)
    return case


def generate(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    rnd = random.Random(seed)
    for i in range(1, n + 1):
        yield generate_case(rnd, i)


def write(n: int, out: Path, seed: int = SEED) -> None:
    with out.open("w", encoding="utf-8") as f:
        for case in generate(n, seed):
            f.write(json.dumps(case, separators=(",", ":")) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=8142, help="how many cases (8142: BeNCH CRC; 262388: England and Wales)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, required=True, help="JSON Lines file to write")
    args = ap.parse_args(argv)
    write(args.cases, args.out, args.seed)
    print(f"wrote {args.cases} fictional cases to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
