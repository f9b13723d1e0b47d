"""A national-scale catalog, generated: by default 2,000 interventions x 5 rules across 20 areas.

Issue 10 asks that a catalog of this size validates and compiles in at most 10 s and screens one
case in at most 10 ms. No such catalog exists in the open, so this script writes a plausible one,
from a seed, into a folder given at run time (it is never committed):

- 20 areas of 8 to 14 towns each, 3 providers per area and 2 national ones;
- 100 interventions per area, of the default catalog's kinds, with figures in plausible ranges;
- 5 rules each over the real case fields, drawn from a menu of the kinds of rule the default
  catalog has: ages, sex, OGRS3 and OVP thresholds and bands, RoSH and SARA levels (`in:`),
  offence category, need flags (the default derived facts), months left on the order, the
  person's area or home town (`in:` the area's towns), required requirements, completed
  programmes, group-work exclusions;
- the default catalog's derived facts (rules/derived.yaml), unchanged.

Files are split by area (catalog/interventions/<area>.yaml, rules/interventions/<area>.yaml), and
further when one would pass the input limits (1 MiB and 60,000 values a file, docs/formats.md),
which this script checks as it writes.

    python benchmarks/generate_catalog.py OUT [--interventions 2000] [--areas 20] [--rules 5] [--seed 2017]

then `ratecard validate OUT`. From Python: `generate(Path(out), interventions=2000, ...)`.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent

# the input limits (ratecard/inputs/limits.py), kept below with a margin
MAX_FILE_BYTES = 900 * 1024
MAX_FILE_VALUES = 50_000

_FIRST = ["ash", "brack", "carl", "dun", "elm", "fen", "glen", "hart", "kirk", "lang", "mar", "nor", "ock",
          "pem", "ross", "salt", "thorn", "upp", "wex", "york", "ald", "bev", "cran", "dray", "east"]
_LAST = ["ford", "ton", "by", "ham", "field", "wick", "bury", "ley", "worth", "minster", "well", "stow",
         "caster", "mouth", "den", "holm"]
_AREA_SUFFIX = ["shire", "dale", "vale", "moor", "land"]

KINDS = {
    # kind: (requires, mode, needs to pick from, evidence level)
    "accredited_programme": ("accredited_programme", "group",
                             ["thinking_and_behaviour", "attitude", "relationships", "lifestyle_and_associates"], "accredited"),
    "structured_intervention": ("rar", "group", ["thinking_and_behaviour", "attitude", "relationships", "emotional_wellbeing"], "promising"),
    "rar_activity": ("rar", "mixed", ["relationships", "thinking_and_behaviour", "education_training_and_employability",
                                      "finance", "emotional_wellbeing"], "emerging"),
    "mentoring_and_support": ("rar", "one_to_one", ["lifestyle_and_associates", "emotional_wellbeing", "accommodation"], "unevaluated"),
    "resettlement": ("none", "one_to_one", ["accommodation", "finance", "education_training_and_employability"], "emerging"),
    "substance_misuse": ("drug_rehabilitation", "group", ["drug_misuse", "alcohol_misuse"], "promising"),
    "unpaid_work_placement": ("unpaid_work", "group", ["education_training_and_employability"], "unevaluated"),
}
NEEDS = ["accommodation", "education_training_and_employability", "finance", "relationships", "lifestyle_and_associates",
         "drug_misuse", "alcohol_misuse", "emotional_wellbeing", "thinking_and_behaviour", "attitude"]
CATEGORIES = ["violence", "sexual", "acquisitive", "drugs", "motoring", "public_order", "criminal_damage", "fraud", "other"]


def _names(rnd: random.Random, n: int, taken: set[str], parts: int = 2) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        name = rnd.choice(_FIRST) + ("_" + rnd.choice(_FIRST) if parts > 2 and rnd.random() < 0.3 else "") + rnd.choice(_LAST)
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def _rule_menu(rnd: random.Random, iid: str, area: dict[str, Any], kind: str, same_area: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """Candidate rules (kind, text, condition) for one intervention; five are drawn from these."""
    ogrs = rnd.choice(range(20, 80, 5))
    ovp_lo = rnd.choice(range(10, 60, 5))
    age_min = rnd.choice([18, 18, 18, 21, 25])
    need_a, need_b = rnd.sample(NEEDS, 2)
    towns = sorted(rnd.sample(area["towns"], k=rnd.randint(2, len(area["towns"]))))
    cats = sorted(rnd.sample(CATEGORIES, k=rnd.randint(2, 4)))
    months = rnd.choice([3, 6, 9, 12, 18])
    sex = "male" if rnd.random() < 0.7 else "female"
    menu: list[tuple[str, str, dict[str, Any]]] = [
        ("criteria", f"For people aged {age_min} or over.", {"field": "age", "gte": age_min}),
        ("criteria", f"For {'men' if sex == 'male' else 'women'}.", {"field": "person.sex", "eq": sex}),
        ("criteria", f"For a likelihood of reoffending (OGRS3, two years) of {ogrs}% or more.",
         {"field": "risk.ogrs3_2yr", "gte": ogrs}),
        ("criteria", f"For a likelihood of violent reoffending (OVP) from {ovp_lo}% to {ovp_lo + 29.99}%.",
         {"field": "risk.ovp_2yr", "between": [ovp_lo, round(ovp_lo + 29.99, 2)]}),
        ("criteria", "For low or medium risk of serious harm.", {"field": "risk.rosh", "in": ["low", "medium"]}),
        ("criteria", f"For someone with an identified {need_a.replace('_', ' ')} or {need_b.replace('_', ' ')} need.",
         {"any": [{"field": f"need_{need_a}", "eq": True}, {"field": f"need_{need_b}", "eq": True}]}),
        ("criteria", f"For someone with an identified {need_a.replace('_', ' ')} need.", {"field": f"need_{need_a}", "eq": True}),
        ("criteria", f"For someone living in {area['name']}.", {"field": "person.area", "eq": area["id"]}),
        ("criteria", f"For someone living in {', '.join(towns)}.", {"field": "person.home_town", "in": towns}),
        ("criteria", f"For offences of these kinds: {', '.join(cats)}.", {"field": "offence.category", "in": cats}),
        ("criteria", f"Needs at least {months} months left on the order.", {"field": "months_left", "gte": months}),
        ("criteria", "For SARA medium or high towards a partner.", {"field": "risk.sara_partner", "in": ["medium", "high"]}),
        ("criteria", "For a violent offence or a thinking and behaviour need.",
         {"any": [{"field": "offence.category", "eq": "violence"}, {"field": "need_thinking_and_behaviour", "eq": True}]}),
        ("criteria", "For a young adult aged 18 to 25.", {"field": "age", "between": [18, 25]}),
        ("exclusions", "Not for someone whose mental health prevents group work.",
         {"field": "responsivity.mental_health_prevents_group_work", "eq": True}),
        ("exclusions", "Not for a current sexual offence.", {"field": "sexual_offence", "eq": True}),
        ("exclusions", "Not for someone at risk in a group.", {"field": "responsivity.at_risk_in_group", "eq": True}),
        ("exclusions", "Not for high or very high risk of serious harm.", {"field": "risk.rosh", "in": ["high", "very_high"]}),
        ("exclusions", "Not for someone who cannot read simple sentences.", {"field": "responsivity.reads_simple_sentences", "eq": False}),
    ]
    if same_area:
        done = rnd.choice(same_area)
        menu.append(("exclusions", f"Not for someone who has completed {done}.",
                     {"field": "history.completed_programmes", "contains": done}))
    req = KINDS[kind][0]
    if req in ("accredited_programme", "drug_rehabilitation", "unpaid_work"):
        menu.append(("criteria", f"Needs a {req.replace('_', ' ')} requirement on the order.",
                     {"field": "sentence.requirements", "contains": req}))
    return menu


def _count_values(x: Any) -> int:
    if isinstance(x, dict):
        return len(x) + sum(_count_values(v) for v in x.values())
    if isinstance(x, list):
        return sum(_count_values(v) for v in x)
    return 1


def _write_split(folder: Path, stem: str, key: str, items: list[Any] | dict[str, Any]) -> list[Path]:
    """Write {key: items} as one file, or several when one would pass the input limits."""
    text = yaml.safe_dump({key: items}, sort_keys=False, allow_unicode=True, width=120)
    if (len(text.encode()) <= MAX_FILE_BYTES and _count_values({key: items}) <= MAX_FILE_VALUES) or len(items) < 2:
        path = folder / f"{stem}.yaml"
        path.write_text(text, encoding="utf-8")
        return [path]
    half = len(items) // 2
    if isinstance(items, dict):
        keys = list(items)
        a, b = {k: items[k] for k in keys[:half]}, {k: items[k] for k in keys[half:]}
    else:
        a, b = items[:half], items[half:]
    return _write_split(folder, f"{stem}_a", key, a) + _write_split(folder, f"{stem}_b", key, b)


def generate(out: Path, interventions: int = 2000, areas: int = 20, rules: int = 5, seed: int = 2017) -> dict[str, Any]:
    """Write a catalog folder (catalog/ and rules/) into `out`; return a summary of what was written."""
    rnd = random.Random(seed)
    taken: set[str] = set()
    area_ids = _names(rnd, areas, taken)
    area_list = []
    for a in area_ids:
        aid = a + rnd.choice(_AREA_SUFFIX)
        area_list.append({"id": aid, "name": aid.replace("_", " ").title(),
                          "towns": _names(rnd, rnd.randint(8, 14), taken, parts=3)})
    providers = [{"id": f"national_provider_{i}", "name": f"National provider {i}", "kind": "partner",
                  "areas": [a["id"] for a in area_list]} for i in (1, 2)]
    for a in area_list:
        for j, kind in enumerate(("crc", "partner", "community")):
            providers.append({"id": f"{a['id']}_{kind}", "name": f"{a['name']} {kind}", "kind": kind, "areas": [a["id"]]})

    root_cat, root_rules = out / "catalog", out / "rules"
    for d in (root_cat / "interventions", root_rules / "interventions"):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    (root_cat / "catalog.yaml").write_text(yaml.safe_dump({
        "name": f"Generated national catalog (seed {seed})", "edition": "generated", "as_of": "2017-01-01",
        "illustrative_note": "Generated for benchmarks: every figure and rule is invented.",
        "areas": area_list}, sort_keys=False), encoding="utf-8")
    (root_cat / "providers.yaml").write_text(yaml.safe_dump({"providers": providers}, sort_keys=False), encoding="utf-8")
    shutil.copy(REPO / "rules" / "derived.yaml", root_rules / "derived.yaml")

    files: list[Path] = []
    n_rules = 0
    per_area = [interventions // areas + (1 if i < interventions % areas else 0) for i in range(areas)]
    for a, count in zip(area_list, per_area):
        entries: list[dict[str, Any]] = []
        rule_entries: dict[str, Any] = {}
        ids: list[str] = []
        for k in range(count):
            kind = rnd.choice(list(KINDS))
            req, mode, need_pool, evidence = KINDS[kind]
            iid = f"{a['id']}_{kind}_{k:03d}"
            sessions = rnd.randint(4, 30)
            provider = rnd.choice([f"{a['id']}_crc", f"{a['id']}_partner", f"{a['id']}_community", "national_provider_1"])
            state = rnd.choices(["open", "waiting_list", "suspended", "withdrawn"], [60, 30, 5, 5])[0]
            status: dict[str, Any] = {"state": state}
            if state == "waiting_list":
                status["waiting_weeks"] = rnd.randint(1, 40)
            elif state != "open":
                status.update(since="2016-10-01", reason="Generated: staff shortage.")
            entry: dict[str, Any] = {
                "id": iid, "name": f"{a['name']} {kind.replace('_', ' ')} {k}", "provider": provider, "area": a["id"],
                "kind": kind, "needs": sorted(rnd.sample(need_pool, k=min(len(need_pool), rnd.randint(1, 3)))),
                "delivery": {"mode": mode, "women_only": rnd.random() < 0.05},
                "where": {"towns": sorted(rnd.sample(a["towns"], k=rnd.randint(1, 3))), "offices": [],
                          "outreach": rnd.random() < 0.2, "assumed": False},
                "sessions": sessions, "hours": float(sessions * rnd.choice([1, 2, 2.5])), "weeks": rnd.randint(sessions // 2 + 1, sessions + 4),
                "rar_days": sessions if req == "rar" else None, "requires": req,
                "price": {"amount": float(rnd.randint(5, 300) * 10), "unit": "per_participant"},
                "status": status,
                "evidence": {"level": evidence, "summary": "Generated entry."},
                "content": f"Generated {kind.replace('_', ' ')} for benchmarks.",
                "capacity": rnd.randint(10, 200),
                "illustrative": ["price", "sessions", "capacity"],
            }
            if entry["rar_days"] is None:
                del entry["rar_days"]
            entries.append(entry)
            menu = _rule_menu(rnd, iid, a, kind, ids[-20:])
            chosen = rnd.sample(menu, k=min(rules, len(menu)))
            body: dict[str, list[dict[str, Any]]] = {"criteria": [], "exclusions": []}
            for j, (which, text, when) in enumerate(chosen):
                body[which].append({"id": f"{iid}.r{j}", "text": text, "basis": "assumption", "when": when})
            rule_entries[iid] = body
            n_rules += len(chosen)
            ids.append(iid)
        files += _write_split(root_cat / "interventions", a["id"], "interventions", entries)
        files += _write_split(root_rules / "interventions", a["id"], "interventions", rule_entries)
    return {"interventions": interventions, "areas": areas, "rules": n_rules, "files": len(files),
            "largest_file_bytes": max(p.stat().st_size for p in files),
            "towns": sum(len(a["towns"]) for a in area_list)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--interventions", type=int, default=2000)
    ap.add_argument("--areas", type=int, default=20)
    ap.add_argument("--rules", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2017)
    a = ap.parse_args()
    print(generate(a.out, a.interventions, a.areas, a.rules, a.seed))


if __name__ == "__main__":
    main()
