"""The catalog: providers and interventions, read from YAML, checked, and joined with the rules.

A loaded Catalog is immutable and carries a version: a hash of its content (not of file names or
file order), which every output that a court relies on repeats.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Callable
from functools import cached_property, lru_cache, wraps
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from ..case.model import _jsonable
from ..errors import CatalogError, Problem
from .model import CatalogInfo, Provider, _M, intervention_warnings
from .model import Intervention as Intervention  # re-exported: decide/ imports it with Catalog
from ..rules.forms import FormTooBig, Program, compile_program
from ..rules.loader import RuleSet, load_rules, rule_files
from ..inputs.files import decode, read_bytes
from ..inputs.yamlio import Document, ParseError, load_file, parse_text, pydantic_problems

if TYPE_CHECKING:
    from ..rules.durable import Engine

def default_catalog_path() -> Path:
    """The catalog shipped inside the package, or the source tree's copy when run from a checkout."""
    shipped = Path(str(resources.files("ratecard"))) / "_defaults" / "catalog"
    if (shipped / "catalog.yaml").exists():
        return shipped
    return Path(__file__).resolve().parents[2] / "catalog"


def _resolve(path: Path) -> tuple[Path, Path]:
    if (path / "catalog" / "catalog.yaml").exists():
        path = path / "catalog"
    rules = path / "rules"
    if not rules.is_dir():
        rules = path.parent / "rules"
    return path, rules


class Catalog:
    """A validated catalog and its rules. Immutable; safe to share between threads."""

    def __init__(self, info: CatalogInfo, providers: dict[str, Provider], interventions: dict[str, Intervention],
                 rules: RuleSet, version: str, source: str, program: Program | None = None,
                 warnings: tuple[Problem, ...] = (), rules_dir: str | None = None):
        self.info = info
        self.providers = providers
        self.interventions = interventions
        self.rules = rules
        self.version = version
        self.source = source
        self.rules_dir = rules_dir  # the folder of rule files (rule tests live in its tests/)
        self.warnings = warnings  # what loads but is probably wrong (ratecard validate prints it)
        # the rules' exact forms (rules/forms.py), which every back end evaluates
        self.program = program if program is not None else compile_program(rules)
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # picklable for process pools and the catalog cache: the data travels, and the engine as the
        # plan worked out for it (Engine.__getstate__), from which the receiving process creates its
        # own durable_rules rulesets on first use; the lock does not
        state = self.__dict__.copy()
        if self._engine is not None:
            state["_engine_plan"] = self._engine.__getstate__()
        state.update(_engine=None, _engine_lock=None)
        state.pop("towns", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _engine_lock=threading.Lock())

    def __repr__(self) -> str:
        return f"<Catalog {self.info.name!r} {self.info.edition} {self.version} {len(self.interventions)} interventions>"

    @cached_property
    def towns(self) -> dict[str, str]:
        """town -> area id"""
        return {t: a.id for a in self.info.areas for t in a.towns}

    @property
    def engine(self) -> Engine:
        """The rules compiled to durable_rules, on first use (loading a catalog does not need it)."""
        with self._engine_lock:
            if self._engine is None:
                from ..rules.durable import Engine

                plan = self.__dict__.pop("_engine_plan", None)
                if plan is not None and plan.get("program") is self.program:
                    engine = Engine.__new__(Engine)
                    engine.__setstate__(plan)
                    self._engine = engine
                else:
                    self._engine = Engine(self.program)
            return self._engine


def _files(folder: Path) -> list[Path]:
    # not only regular files: a pipe or device named *.yaml is reported by load_file, not skipped
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and not p.is_dir())


def source_files(root: Path) -> list[Path]:
    """Every file load_catalog(root) reads, in a fixed order (what the catalog cache is keyed by)."""
    cat_dir, rules_dir = _resolve(root)
    idir = cat_dir / "interventions"
    derived, rules = rule_files(rules_dir)
    return [cat_dir / "catalog.yaml", cat_dir / "providers.yaml", *(_files(idir) if idir.is_dir() else []), *derived, *rules]


def recording_reader(digests: dict[Path, bytes]) -> Callable[[Path], Document]:
    """A file reader for load_catalog that records the SHA-256 of the very bytes it parses, by path:
    what the cache names an entry by, so that a file edited while it is loaded can never store one
    catalog under the name of another."""
    def read(path: Path) -> Document:
        raw = read_bytes(path)
        digests[Path(path)] = hashlib.sha256(raw).digest()
        name = str(path)
        return parse_text(decode(raw, name), name, as_json=name.lower().endswith(".json"))

    return read


def _validate(model: type[_M], doc: Document, data: Any, loc: tuple[Any, ...], problems: list[Problem]) -> Any:
    try:
        return model.model_validate_json(json.dumps(_jsonable(data)))
    except ValidationError as e:
        problems.extend(pydantic_problems(doc, e, prefix=loc, model=model))
        return None


def load_catalog(path: str | Path | None = None, *, read: Callable[[Path], Document] = load_file) -> Catalog:
    """Load and check a catalog folder (default: the catalog shipped with ratecard).

    `path` is a folder holding catalog.yaml, providers.yaml and interventions/, with the rules in
    `rules/` inside it or beside it; or a folder holding both `catalog/` and `rules/`.
    Raises CatalogError listing every problem, each with file, line and field. `read` reads and
    parses each file (see recording_reader).
    """
    root = Path(path) if path is not None else default_catalog_path()
    if not root.is_dir():
        raise CatalogError([Problem(str(root), None, "", "catalog folder not found; give the folder that holds catalog.yaml")])
    cat_dir, rules_dir = _resolve(root)
    problems: list[Problem] = []
    docs: dict[str, Document] = {}
    for name in ("catalog.yaml", "providers.yaml"):
        try:
            docs[name] = read(cat_dir / name)
        except ParseError as e:
            problems.extend(e.problems)
    inter_docs: list[Document] = []
    idir = cat_dir / "interventions"
    if not idir.is_dir():
        problems.append(Problem(str(idir), None, "", "folder not found; interventions live in catalog/interventions/*.yaml"))
    for p in _files(idir) if idir.is_dir() else []:
        try:
            inter_docs.append(read(p))
        except ParseError as e:
            problems.extend(e.problems)

    info = None
    if "catalog.yaml" in docs:
        info = _validate(CatalogInfo, docs["catalog.yaml"], docs["catalog.yaml"].data, (), problems)
    providers: dict[str, Provider] = {}
    if "providers.yaml" in docs:
        doc = docs["providers.yaml"]
        if not isinstance(doc.data, dict) or set(doc.data) != {"providers"} or not isinstance(doc.data["providers"], list):
            problems.append(Problem(doc.path, 1, "", "providers.yaml holds one key, 'providers', with a list"))
        else:
            for i, raw in enumerate(doc.data["providers"]):
                p = _validate(Provider, doc, raw, ("providers", i), problems)
                if p is not None:
                    if p.id in providers:
                        problems.append(doc.problem(("providers", i, "id"), f"provider '{p.id}' is listed twice; keep one"))
                    providers[p.id] = p
    interventions: dict[str, Intervention] = {}
    first_seen: dict[str, str] = {}
    defined_at: dict[str, tuple[str, int | None]] = {}
    raw_by_id: dict[str, Any] = {}
    warnings: list[Problem] = []
    for doc in inter_docs:
        if not isinstance(doc.data, dict) or set(doc.data) != {"interventions"} or not isinstance(doc.data["interventions"], list):
            problems.append(Problem(doc.path, 1, "", "an interventions file holds one key, 'interventions', with a list"))
            continue
        for i, raw in enumerate(doc.data["interventions"]):
            loc = ("interventions", i)
            iv = _validate(Intervention, doc, raw, loc, problems)
            if iv is None:
                continue
            here = f"{doc.path}:{doc.line(loc)}"
            if iv.id in first_seen:
                problems.append(doc.problem(loc + ("id",), f"intervention '{iv.id}' is also defined at {first_seen[iv.id]}; ids must be unique"))
                continue
            first_seen[iv.id] = here
            defined_at[iv.id] = (doc.path, doc.line(loc + ("id",)))
            interventions[iv.id] = iv
            raw_by_id[iv.id] = iv.version_dump()
            warnings += [Problem(doc.path, doc.line(loc + (f,)), f"{iv.id}.{f}", msg) for f, msg in intervention_warnings(iv)]
            if providers and iv.provider not in providers:
                problems.append(doc.problem(loc + ("provider",), f"no provider '{iv.provider}' in providers.yaml{_close(iv.provider, providers)}"))
            if info is not None:
                areas = {a.id: a for a in info.areas}
                if iv.area not in areas:
                    problems.append(doc.problem(loc + ("area",), f"no area '{iv.area}' in catalog.yaml; areas: {', '.join(areas)}"))
                else:
                    for j, t in enumerate(iv.where.towns):
                        if t not in areas[iv.area].towns:
                            problems.append(doc.problem(loc + ("where", "towns", j), f"'{t}' is not a town of {iv.area}; towns: {', '.join(areas[iv.area].towns)}"))
    described = [iid for iid, iv in interventions.items() if iv.work is not None]
    if described and len(described) < len(interventions):
        # the proposal reasons risk first from 'work': an intervention without it is weighed by its
        # needs alone, so support could stand beside offending behaviour work unnoticed
        for iid, iv in interventions.items():
            if iv.work is None:
                path, line = defined_at[iid]
                warnings.append(Problem(path, line, f"{iid}.work", "no 'work' entry (what kind of work it is and which "
                                        "offending it targets), though other interventions have one: the proposal can "
                                        "weigh it only by its needs; add 'work' (docs/formats.md)"))
    vocab = None
    if not problems and info is not None:
        # the only values a rule can usefully name: anything else is a typo that never matches
        vocab = {
            "person.home_town": (frozenset(t for a in info.areas for t in a.towns), "a town of any area in catalog.yaml"),
            "person.area": (frozenset(a.id for a in info.areas), "an area in catalog.yaml"),
            "history.completed_programmes": (frozenset(interventions), "an intervention in the catalog"),
        }
    rules, rule_problems = load_rules(rules_dir, defined_at if not problems else None, vocab, read)
    problems.extend(rule_problems)
    if problems or info is None or rules is None:
        raise CatalogError(problems)
    try:
        program = compile_program(rules)
    except FormTooBig as e:
        raise CatalogError([Problem(e.file, e.line, e.field, str(e))]) from None
    version = _version(info, providers, raw_by_id, rules.data)
    return Catalog(info, providers, interventions, rules, version, str(cat_dir), program, tuple(warnings), str(rules_dir))


def _version(info: CatalogInfo, providers: dict[str, Provider], interventions: dict[str, Any], rule_data: dict[str, Any]) -> str:
    """A hash of what the catalog says, independent of file names and order."""
    content = {
        "info": info.version_dump(),
        "providers": {k: v.model_dump(mode="json") for k, v in providers.items()},
        "interventions": interventions,
        "rules": rule_data,
    }
    blob = json.dumps(_jsonable(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def _close(name: str, known: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]}?" if close else ""


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with ratecard, loaded once per process."""
    return load_catalog()


_T = TypeVar("_T")


def per_catalog(make: Callable[[Catalog], _T]) -> Callable[[Catalog], _T]:
    """`make(catalog)` worked out once per loaded catalog and dropped with it: the catalog is held
    weakly, so a catalog reloaded or let go does not keep the tables made from it alive (what it
    makes must not refer back to the catalog, or the weak key never dies)."""
    store: weakref.WeakKeyDictionary[Catalog, _T] = weakref.WeakKeyDictionary()

    @wraps(make)
    def get(catalog: Catalog) -> _T:
        got = store.get(catalog)
        if got is None:
            got = store[catalog] = make(catalog)
        return got

    return get
