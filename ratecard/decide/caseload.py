"""The needs assessment of a caseload: which needs the cases have, whether the catalog's provision
can meet them, for whom it cannot, what information is missing, what meeting the demand would cost,
and (from after-sentence records) how often interventions were delivered.

The inspection found that the CRC "had yet to complete a needs assessment ... to match the needs of
stakeholders with the services on offer". This is that assessment, worked out from the screen of
every case (screen_many) and the catalog, column-wise.

Definitions (also printed in the report):
- a need is *identified* when the rules' `need_<section>` fact is true (unknown when it is undecided);
- provision *meets* an identified need of a case when some intervention addressing that need is
  eligible, open (or on a waiting list), reachable (delivered in the home town, by outreach, or the
  person has transport; in the person's area) and finishable (waiting list plus length within the
  time left on the order); *undetermined only* when no intervention meets it but one might once the
  missing information is known; otherwise *none*;
- *demand* for an intervention is the number of cases for which it meets an identified need;
- the *cost* of meeting the eligible demand takes, for each case and identified need that provision
  meets, the cheapest intervention that meets it (each intervention counted once per case), at the
  rate card's price per person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from ..case.model import NEED_SECTIONS
from ..labels import NEEDS as NEED_LABELS
from ..catalog.load import Catalog
from ..catalog.model import Intervention
from ..errors import RatecardError
from ..case.tables import ROW, CasesInput
from ..rules.fields import base_registry
from .screen_many import ScreenedTable, computed_columns, screen_many

# The report's Table 4 (CRC sample) lists needs in this priority order; the needs it does not list follow.
PRIORITY = ("thinking_and_behaviour", "emotional_wellbeing", "alcohol_misuse", "relationships", "drug_misuse",
            "accommodation", "attitude", "lifestyle_and_associates", "education_training_and_employability", "finance")
assert set(PRIORITY) == set(NEED_SECTIONS)
AGE_GROUPS = ((None, 17, "under 18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49"), (50, None, "50 and over"))
GAP_SHARE = 0.5  # a group has a gap in provision for a need when at least this share of its cases with the need have none
GAP_MIN_CASES = 10  # ... and it has at least this many cases with the need (smaller groups are noise)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NeedRow(_Out):
    need: str
    label: str
    identified: int
    identified_pct: float
    unknown: int  # cases for which it cannot be decided whether the need is identified
    met: int
    # met only if a person agrees (the provision that addresses it is eligible if agreed): never
    # counted as met, nor as demand
    if_agreed: int = 0
    undetermined_only: int
    none: int


class InterventionRow(_Out):
    intervention: str
    name: str
    provider: str
    status: str
    needs: tuple[str, ...]
    eligible: int
    undetermined: int
    demand: int
    eligible_if_agreed: int = 0  # eligible if a person agrees (a judgement): counted apart from demand
    capacity: int | None  # places a year; None: the catalog gives none
    capacity_note: str
    implied_wait_weeks: float | None  # 52 x demand / capacity: weeks to serve today's demand
    price_per_person: float | None
    places_costed: int  # cases for which it is the cheapest way to meet a need
    cost: float | None


class GapRow(_Out):
    need: str
    label: str
    dimension: str  # town | sex | age_group | transport
    group: str
    cases_with_need: int
    no_provision: int
    no_provision_pct: float


class MissingRow(_Out):
    field: str
    label: str
    decisions: int  # undetermined decisions it would help settle
    cases: int


class SufficiencyRow(_Out):
    need: str
    label: str
    cases_with_need: int
    delivered: int
    delivered_pct: float | None


class CaseloadReport(_Out):
    catalog_version: str
    catalog: str
    on: dt.date
    area: str | None
    area_name: str
    cases: int
    other_area_cases: int  # cases in the file that live in another area, left out of an area's report
    error_rows: int
    needs: tuple[NeedRow, ...]
    interventions: tuple[InterventionRow, ...]
    gaps: tuple[GapRow, ...]
    missing_information: tuple[MissingRow, ...]
    cost_total: float
    cost_unknown: tuple[str, ...]  # interventions meeting demand whose price per person is not known
    capacity_note: str
    sufficiency: tuple[SufficiencyRow, ...] | None
    sufficiency_cases: int
    illustrative_note: str | None
    definitions: tuple[str, ...]


DEFINITIONS = [
    "A need is identified when the rules' need fact is true; when it cannot be decided (a score missing), the case counts as unknown for that need.",
    "Provision meets an identified need when an intervention addressing it is eligible, open or on a waiting list on the date, reachable "
    "(in the home town, by outreach, at a venue still to be confirmed, or the person has transport recorded; in their area) and can finish "
    "before the order ends and before the course closes (waiting list plus length).",
    "Undetermined only: no intervention meets the need yet, but one might once missing information is collected.",
    "Demand for an intervention: the cases for whom it meets an identified need. Implied wait: 52 x demand / capacity, the weeks needed to serve today's demand.",
    "Cost: for each case and need met, the cheapest intervention that meets it, each counted once per case, at the rate card's price per person.",
    "Sufficiency (after-sentence records): of the cases with records and the need, how many had an intervention for it delivered "
    "(a RAR activity day or a completed programme addressing it). It counts delivery, not whether it was sufficient.",
]


def capacity_of(iv: Intervention) -> tuple[int | None, str]:
    """Places a year from the catalog, read defensively: the catalog format may not carry it yet."""
    cap = getattr(iv, "capacity", None)
    if cap is None:
        return None, "not given in the catalog"
    places = cap
    for name in ("places_per_year", "places", "per_year", "value"):
        if hasattr(cap, name):
            places = getattr(cap, name)
            break
    if not isinstance(places, (int, float)) or isinstance(places, bool):
        return None, "not given in the catalog"
    assumed = "capacity" in getattr(iv, "illustrative", ()) or bool(getattr(cap, "assumption", False)) or bool(getattr(cap, "illustrative", False))
    return int(places), "assumed: the report gives none" if assumed else "from the catalog"


def _price(iv: Intervention) -> float | None:
    from .proposal import package_price

    return package_price(iv)[0]


def build_caseload(cases: CasesInput | ScreenedTable, catalog: Catalog | None = None, *, on: dt.date | None = None,
                   area: str | None = None) -> CaseloadReport:
    """The needs assessment of the cases (a file's CaseTable, case records or a table, as
    screen_many takes them), for one area of the catalog (default: every area)."""
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    areas = {a.id: a for a in catalog.info.areas}
    if area is not None and area not in areas:
        raise RatecardError(f"No area '{area}' in the catalog; areas: {', '.join(areas)}")
    result = cases if isinstance(cases, ScreenedTable) else screen_many(cases, catalog, on=on)
    ivs = {k: v for k, v in catalog.interventions.items() if area is None or v.area == area}
    frame = result.input_frame
    if area is not None:
        towns = set(areas[area].towns)
        town, home = pl.col("person.home_town"), pl.col("person.area")
        # a case with neither town nor area stays in: it was given for this area, and dropping it
        # would lose it from every count without a word
        in_area = (town.is_in(list(towns)).fill_null(False) | (home == area).fill_null(False)
                   | (town.is_null() & home.is_null()))
        keep = frame.select(in_area)[:, 0]
    else:
        keep = None
    # Everything below reads the wide table the batch back end already has (one row per case, a
    # decision column per intervention), never a row per case and intervention (8.7 million rows
    # for the national caseload).
    bp = result._program
    wide = result._screened
    if keep is not None:
        frame, wide = frame.filter(keep), wide.filter(keep)
    n = frame.height
    elsewhere = result.input_frame.height - n
    needs = _needs_frame(frame, wide.select(ROW, *bp.derived_values()))
    states = _admissible(frame, wide, bp, ivs, catalog, on)
    need_rows, per_case_need = _need_rows(needs, states, ivs, n)
    iv_rows, cost_total, cost_unknown = _intervention_rows(wide, bp, states, needs, ivs, on)
    capacity_known = sum(1 for r in iv_rows if r.capacity is not None)
    return CaseloadReport(
        catalog_version=catalog.version,
        catalog=f"{catalog.info.name} ({catalog.info.edition})",
        on=on,
        area=area,
        area_name=areas[area].name if area else ", ".join(a.name for a in catalog.info.areas),
        cases=n,
        other_area_cases=elsewhere,
        error_rows=len(result.errors),
        needs=need_rows,
        interventions=iv_rows,
        gaps=_gaps(frame, per_case_need, on),
        missing_information=_missing(wide, bp, ivs),
        cost_total=round(cost_total, 2),
        cost_unknown=cost_unknown,
        capacity_note=("No intervention in this catalog gives its capacity (places a year): demand is shown, but waiting "
                       "times cannot be worked out until the catalog says how many places each has." if capacity_known == 0 else
                       f"{capacity_known} of {len(iv_rows)} interventions give a capacity; the others are shown as unknown."),
        sufficiency=_sufficiency(frame, needs, ivs),
        sufficiency_cases=int(_has_records(frame).sum()),
        illustrative_note=catalog.info.illustrative_note,
        definitions=DEFINITIONS,
    )


def _needs_frame(frame: pl.DataFrame, derived: pl.DataFrame) -> pl.DataFrame:
    # derived: row and each derived fact's value (`=<id>`, null when undecided)
    """Per case and need: identified (true / false / null when undecided)."""
    cols = [pl.col(ROW)]
    for s in NEED_SECTIONS:
        fact = f"=need_{s}"
        if fact in derived.columns:
            cols.append(pl.col(fact).cast(pl.Boolean).alias(s))
    got = derived.select(cols)
    missing = [s for s in NEED_SECTIONS if s not in got.columns]
    if missing:  # a catalog whose rules do not define need facts: the case's own 'identified' flag
        got = got.join(frame.select(ROW, *(pl.col(f"needs.{s}.identified").alias(s) for s in missing)), on=ROW, how="left")
    return got


# a case's state for an intervention, one UInt8 column per intervention; AGREED: it would meet
# the need if a person agrees (eligible if agreed), open, reachable and finishable
MEETS, MAYBE, NO, AGREED = 2, 1, 0, 3
_PROVISION = pl.Enum(["met", "if_agreed", "undetermined_only", "none"])


def _admissible(frame: pl.DataFrame, wide: pl.DataFrame, bp: Any, ivs: dict[str, Intervention], catalog: Catalog,
                on: dt.date) -> pl.DataFrame:
    """Per case (row) and intervention, one column named by the intervention: MEETS (eligible,
    open, reachable, finishable), MAYBE (could, once information is known) or NO. Availability
    follows the screen's (decide/screen.py): the status in force on the date, a town or area the
    catalog does not know counts as not given, an assumed venue is never 'not reachable', and
    outside the towns it runs in only recorded transport makes a course reachable."""
    towns = catalog.towns
    areas = [a.id for a in catalog.info.areas]
    start = pl.col("sentence.start").fill_null(pl.lit(on))
    end = start.dt.offset_by(pl.format("{}mo", pl.col("sentence.length_months")))
    weeks_left = (end - pl.max_horizontal(start, pl.lit(on))).dt.total_days() / 7
    town = pl.when(pl.col("person.home_town").is_in(list(towns))).then(pl.col("person.home_town"))
    area = pl.when(pl.col("person.area").is_in(areas)).then(pl.col("person.area"))
    home_area = pl.when(town.is_not_null()).then(town.replace_strict(list(towns), list(towns.values()), default=None)).otherwise(area)
    people = frame.select(ROW, town.alias("#town"), home_area.alias("#home_area"), weeks_left.alias("#weeks_left"),
                          pl.col("responsivity.has_transport").alias("#transport"))
    people = people.hstack(wide.select(pl.col(bp.decision_col(k)).alias(f"#d{i}") for i, k in enumerate(ivs)))
    cols = []
    for i, (k, iv) in enumerate(ivs.items()):
        st = iv.status_on(on)
        wait = st.waiting_weeks or 0
        # a course that closes before the person could finish it cannot be finished whatever the order
        closes_first = (st.until is not None and st.then is not None and iv.weeks is not None
                        and (wait + iv.weeks) * 7 > (st.until - on).days + 1)
        if not st.available or closes_first:
            cols.append(pl.lit(NO, pl.UInt8).alias(k))
            continue
        other_area = pl.col("#home_area").is_not_null() & (pl.col("#home_area") != pl.lit(iv.area))
        near = pl.lit(True) if (iv.where.outreach or iv.where.assumed) else \
            pl.col("#town").is_in(list(iv.where.towns)).fill_null(False)
        # reachable: True, False, or null (home town not given: cannot be checked)
        reach = (pl.when(other_area).then(False).when(near).then(True).when(pl.col("#town").is_null()).then(None)
                 .otherwise(pl.col("#transport").fill_null(False)))
        if iv.weeks is not None or wait:
            finish = pl.when(pl.col("#weeks_left").is_null()).then(None).otherwise(pl.lit(float(wait + (iv.weeks or 0))) <= pl.col("#weeks_left"))
        else:
            finish = pl.lit(True)
        dec = pl.col(f"#d{i}")  # the batch back end's codes: 0 eligible, 1 undetermined, 3 eligible if agreed
        sure = reach.fill_null(False) & finish.fill_null(False)
        meets = (dec == 0) & sure
        agreed = (dec == 3) & sure
        maybe = ((dec <= 1) | (dec == 3)) & reach.fill_null(True) & finish.fill_null(True)
        cols.append(pl.when(meets).then(pl.lit(MEETS, pl.UInt8)).when(agreed).then(pl.lit(AGREED, pl.UInt8))
                    .when(maybe).then(pl.lit(MAYBE, pl.UInt8)).otherwise(pl.lit(NO, pl.UInt8)).alias(k))
    return people.select(ROW, *cols)


def _iv_needs(ivs: dict[str, Intervention]) -> pl.DataFrame:
    return pl.DataFrame([{"intervention": k, "need": s} for k, iv in ivs.items() for s in iv.needs],
                        schema={"intervention": pl.String, "need": pl.String})


def _need_rows(needs: pl.DataFrame, states: pl.DataFrame, ivs: dict[str, Intervention], n: int) -> tuple[list[NeedRow], pl.DataFrame]:
    """Per need, the counts of the report's first table; and per case and need (long over the ten
    needs, not over interventions): identified, and provision (met / if_agreed / undetermined_only / none)."""
    provision = []
    for s in needs.columns:
        if s == ROW:
            continue
        mine = [k for k, iv in ivs.items() if s in iv.needs]
        meets = pl.any_horizontal([pl.col(k) == MEETS for k in mine]) if mine else pl.lit(False)
        maybe = pl.any_horizontal([pl.col(k) == MAYBE for k in mine]) if mine else pl.lit(False)
        agreed = pl.any_horizontal([pl.col(k) == AGREED for k in mine]) if mine else pl.lit(False)
        provision.append(pl.when(meets).then(pl.lit("met", _PROVISION)).when(agreed).then(pl.lit("if_agreed", _PROVISION))
                         .when(maybe).then(pl.lit("undetermined_only", _PROVISION))
                         .otherwise(pl.lit("none", _PROVISION)).alias(s))
    prov = states.select(ROW, *provision)
    # a row per case and need (ten a case), with the need and provision as enums, not text
    need = pl.Enum([s for s in needs.columns if s != ROW])
    ident = needs.unpivot(index=ROW, variable_name="need", value_name="identified").with_columns(pl.col("need").cast(need))
    provided = prov.unpivot(index=ROW, variable_name="need", value_name="provision")
    if prov.columns == needs.columns and prov[ROW].equals(needs[ROW]):
        # the same cases in the same order, the same needs: the two long tables line up row for
        # row, and a join of 2.6 million rows (0.4 GiB at the national report's peak) is not needed
        per = ident.with_columns(provided["provision"])
    else:
        per = ident.join(provided.with_columns(pl.col("need").cast(need)), on=[ROW, "need"], how="left", maintain_order="left")
    rows = []
    for s in PRIORITY:
        p = per.filter(pl.col("need") == s)
        ident = p.filter(pl.col("identified").fill_null(False))
        counts = dict(ident.group_by("provision").len().iter_rows())
        rows.append(NeedRow(need=s, label=NEED_LABELS[s], identified=ident.height,
                            identified_pct=round(100 * ident.height / n, 1) if n else 0.0,
                            unknown=p.filter(pl.col("identified").is_null()).height,
                            met=counts.get("met", 0), if_agreed=counts.get("if_agreed", 0),
                            undetermined_only=counts.get("undetermined_only", 0), none=counts.get("none", 0)))
    return rows, per


def _intervention_rows(wide: pl.DataFrame, bp: Any, states: pl.DataFrame, needs: pl.DataFrame, ivs: dict[str, Intervention],
                       on: dt.date) -> tuple[list[InterventionRow], float, list[str]]:
    decisions = wide.select(
        *(c for k in ivs for c in ((pl.col(bp.decision_col(k)) == 0).sum().alias(f"e:{k}"),
                                   (pl.col(bp.decision_col(k)) == 1).sum().alias(f"u:{k}"),
                                   (pl.col(bp.decision_col(k)) == 3).sum().alias(f"a:{k}")))).row(0, named=True)
    ident = {s: pl.col(f"#n:{s}").fill_null(False) for s in needs.columns if s != ROW}
    x = states.hstack(needs.select(pl.col(s).alias(f"#n:{s}") for s in ident))
    # demand: the cases for whom the intervention meets an identified need
    demand_cols = [(pl.col(k) == MEETS) & pl.any_horizontal([ident[s] for s in iv.needs if s in ident] or [pl.lit(False)])
                   for k, iv in ivs.items()]
    prices = {k: _price(iv) for k, iv in ivs.items()}
    # the cheapest way to meet each identified need of each case (ties: intervention id; an unknown
    # price first, as the report always has), each intervention counted once per case
    order = sorted(ivs, key=lambda k: (-1.0 if prices[k] is None else prices[k], k))
    index = {k: i for i, k in enumerate(ivs)}
    chosen = []
    for s in ident:
        expr = pl.lit(None, pl.Int32)
        for k in reversed([k for k in order if s in ivs[k].needs]):
            expr = pl.when(pl.col(k) == MEETS).then(pl.lit(index[k], pl.Int32)).otherwise(expr)
        chosen.append(pl.when(ident[s]).then(expr).alias(f"#c:{s}"))
    x = x.with_columns(chosen)
    counted = x.select(
        *(d.sum().alias(f"d:{k}") for d, k in zip(demand_cols, ivs)),
        *(pl.any_horizontal([pl.col(f"#c:{s}") == index[k] for s in ident] or [pl.lit(False)]).fill_null(False).sum()
          .alias(f"p:{k}") for k in ivs)).row(0, named=True)
    rows = []
    total = 0.0
    unknown: list[str] = []
    for k, iv in sorted(ivs.items()):
        cap, note = capacity_of(iv)
        d = counted[f"d:{k}"]
        price = prices[k]
        placed = counted[f"p:{k}"]
        cost = None if price is None else round(price * placed, 2)
        if cost is not None:
            total += cost
        elif placed:
            unknown.append(k)
        rows.append(InterventionRow(
            intervention=k, name=iv.name, provider=iv.provider, status=iv.status_on(on).state, needs=list(iv.needs),
            eligible=decisions[f"e:{k}"], undetermined=decisions[f"u:{k}"], demand=d, eligible_if_agreed=decisions[f"a:{k}"],
            capacity=cap, capacity_note=note,
            implied_wait_weeks=round(52 * d / cap, 1) if cap else None,
            price_per_person=price, places_costed=placed, cost=cost))
    return rows, total, unknown


def _age_group(on: dt.date) -> pl.Expr:
    born = pl.col("person.date_of_birth")
    age = computed_columns(on)[0]
    out = pl.lit("not known")
    for lo, hi, name in reversed(AGE_GROUPS):
        cond = pl.lit(True)
        if lo is not None:
            cond = cond & (age >= lo)
        if hi is not None:
            cond = cond & (age <= hi)
        out = pl.when(born.is_not_null() & cond).then(pl.lit(name)).otherwise(out)
    return out


def _gaps(frame: pl.DataFrame, per: pl.DataFrame, on: dt.date) -> list[GapRow]:
    groups = frame.select(
        ROW,
        pl.col("person.home_town").fill_null("not known").alias("town"),
        pl.col("person.sex").fill_null("not known").alias("sex"),
        _age_group(on).alias("age_group"),
        pl.col("responsivity.has_transport").replace_strict([True, False], ["has transport", "no transport"], default=None,
                                                            return_dtype=pl.String).fill_null("not known").alias("transport"))
    ident = per.filter(pl.col("identified").fill_null(False)).select(ROW, "need", "provision")
    rows: list[GapRow] = []
    for dim in ("town", "sex", "age_group", "transport"):
        t = (ident.join(groups.select(ROW, dim), on=ROW).group_by("need", dim)
             .agg(pl.len().alias("n"), (pl.col("provision") == "none").sum().alias("none")))
        for need, group, cnt, none in t.iter_rows():
            if cnt >= GAP_MIN_CASES and none / cnt >= GAP_SHARE:
                rows.append(GapRow(need=need, label=NEED_LABELS[need], dimension=dim, group=str(group).replace("_", " "),
                                   cases_with_need=cnt, no_provision=none, no_provision_pct=round(100 * none / cnt, 1)))
    rows.sort(key=lambda g: (-g.no_provision, g.need, g.dimension, g.group))
    return rows


def _missing(wide: pl.DataFrame, bp: Any, ivs: dict[str, Intervention]) -> list[MissingRow]:
    """Per case field: the undetermined decisions (of these interventions) it would help settle, and
    the cases they belong to; most decisions first."""
    reg = base_registry()
    per_field = {}
    for f in bp.all_fields:
        cols = [pl.col(bp.field_missing_col(k, f)).cast(pl.UInt32) for k in ivs if f in bp.fields_of.get(k, ())]
        if cols:
            per_field[f] = pl.sum_horizontal(cols)
    if not per_field or wide.height == 0:
        return []
    got = wide.select(*(e.sum().alias(f"d:{f}") for f, e in per_field.items()),
                      *((e > 0).sum().alias(f"c:{f}") for f, e in per_field.items())).row(0, named=True)
    m = sorted(((f, got[f"d:{f}"], got[f"c:{f}"]) for f in per_field if got[f"d:{f}"]), key=lambda t: (-t[1], t[0]))
    return [MissingRow(field=f, label=reg[f].label if f in reg else f, decisions=d, cases=c) for f, d, c in m]


def _has_records(frame: pl.DataFrame) -> pl.Series:
    return frame.select((pl.col("rar_ledger").list.len().fill_null(0) > 0)
                        | (pl.col("history.completed_programmes").list.len().fill_null(0) > 0))[:, 0]


def _sufficiency(frame: pl.DataFrame, needs: pl.DataFrame, ivs: dict[str, Intervention]) -> list[SufficiencyRow] | None:
    """Table 4's shape: per need, of the cases with after-sentence records and the need, the share
    with an intervention for it delivered (a RAR activity day, or a completed programme)."""
    with_records = frame.filter(_has_records(frame))
    if with_records.height == 0:
        return None
    days = (with_records.select(ROW, pl.col("rar_ledger")).explode("rar_ledger").unnest("rar_ledger")
            .filter(pl.col("kind") == "activity").select(ROW, "intervention").drop_nulls())
    done = with_records.select(ROW, pl.col("history.completed_programmes").alias("intervention")).explode("intervention").drop_nulls()
    delivered = pl.concat([days, done]).join(_iv_needs(ivs), on="intervention").select(ROW, "need").unique()
    ident = (needs.join(with_records.select(ROW), on=ROW, how="semi")
             .unpivot(index=ROW, variable_name="need", value_name="identified").filter(pl.col("identified").fill_null(False)))
    rows = []
    for s in PRIORITY:
        cases = ident.filter(pl.col("need") == s).select(ROW)
        got = delivered.filter(pl.col("need") == s).join(cases, on=ROW, how="semi").height
        rows.append(SufficiencyRow(need=s, label=NEED_LABELS[s], cases_with_need=cases.height, delivered=got,
                                   delivered_pct=round(100 * got / cases.height, 1) if cases.height else None))
    return rows

