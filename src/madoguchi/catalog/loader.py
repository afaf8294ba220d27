"""Load and validate the procedure YAML files; a broken file names its path, field and reason."""

import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import yaml
from django.conf import settings
from django.db import DatabaseError
from pydantic import ValidationError

from madoguchi.catalog.i18n import clear_cache, japanese, language_of, localized
from madoguchi.catalog.schema import Procedure
from madoguchi.core import cities, i18n
from madoguchi.core.i18n import content


class CatalogError(Exception):
    """A procedure file is unreadable or invalid. The message names the file and field."""


def describe(path: Path, error: ValidationError, what: str = "procedure file") -> str:
    """A pydantic error as lines a reviewer can act on: the file, then each location and reason."""
    lines = [f"{path}: invalid {what}"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def read_yaml(path: Path, error: type[Exception]):
    """A reviewed data file's content; `error` names the file when it is not valid YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc


def load_file(path: Path) -> Procedure:
    data = read_yaml(path, CatalogError)
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: the file must hold one mapping (a procedure)")
    try:
        procedure = Procedure.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(describe(path, exc)) from exc
    if procedure.code != path.stem:
        raise CatalogError(f"{path}: code '{procedure.code}' must match the file name")
    return procedure


def load_directories(directories) -> dict[str, Procedure]:
    """Later directories override earlier ones by code (a city's own files over the national base)."""
    procedures: dict[str, Procedure] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob("*.yaml")):
            procedure = load_file(path)
            procedures[procedure.code] = procedure
    return procedures


# What a city may change in a national procedure without copying its file. The form itself
# is not among them: a city that needs another form ships its own file with the same code.
OVERRIDABLE = frozenset(Procedure.model_fields) - {"code", "forms"}


class Problem(NamedTuple):
    """One reason an override is refused: where in the override (`fees.lines.0.unit_yen`,
    "" for the whole entry) and why, in the same words for a file and for a page."""

    where: str
    message: str


class OverrideError(CatalogError):
    """An override of one procedure is refused. `problems` say where and why; str() is the
    message a file's reviewer reads (the caller puts the file's path in front)."""

    def __init__(self, code: str, problems: list[Problem], invalid: bool = False):
        self.code, self.problems = code, problems
        heading = f"procedures.{code}: invalid override" if invalid else f"procedures.{code}"
        if invalid:
            lines = [heading] + [f"  {p.where or '(top level)'}: {p.message}" for p in problems]
            super().__init__("\n".join(lines))
        else:
            super().__init__(f"{heading}: " + "; ".join(p.message for p in problems))


def check_override(base: dict[str, Procedure], code: str, changes) -> Procedure:
    """The one validator of a city's changes to one procedure, for `overrides.yaml` and for the
    pages that keep overrides in the database (catalog.models.ProcedureOverride): the
    procedure as changed, or OverrideError. Each rule is written once, here and in the schema:
    the code must be in the catalogue the override applies over, the changes a mapping of
    overridable fields, and the result a valid procedure (fees that fit the form, whole yen…)."""
    if code not in base:
        raise OverrideError(code, [Problem("", "not in the catalogue (a local procedure goes in its own file)")])
    if not isinstance(changes, dict):
        raise OverrideError(code, [Problem("", "give the fields to change")])
    refused = sorted(set(changes) - OVERRIDABLE)
    if refused:
        raise OverrideError(code, [Problem("", f"cannot override {', '.join(map(str, refused))}")])
    merged = _merge(base[code].model_dump(by_alias=True, exclude_unset=True), changes)
    try:
        changed = Procedure.model_validate(merged)
    except ValidationError as exc:
        raise OverrideError(code, problems_of(exc), invalid=True) from exc
    # An override never changes the form: the changed procedure shares the forms it was
    # checked against (equal, frozen) instead of holding a copy per city.
    return changed.model_copy(update={"forms": base[code].forms})


def problems_of(error: ValidationError) -> list[Problem]:
    """A pydantic error as (where, why) pairs: the lines `describe` prints for a file (without
    pydantic's "Value error, " before a validator's own sentence)."""
    return [Problem(".".join(str(part) for part in item["loc"]), item["msg"].removeprefix("Value error, "))
            for item in error.errors()]


def apply_overrides(base: dict[str, Procedure], path: Path) -> dict[str, Procedure]:
    """A city's `overrides.yaml`: `procedures:` maps a code to the fields it changes (fee,
    department, window, ...); `withdrawn:` lists codes the city does not offer."""
    data = read_yaml(path, CatalogError) or {}
    if not isinstance(data, dict) or set(data) - {"procedures", "withdrawn"}:
        raise CatalogError(f"{path}: the file holds `procedures:` and `withdrawn:` only")
    result = dict(base)
    for code in data.get("withdrawn") or []:
        if result.pop(code, None) is None:
            raise CatalogError(f"{path}: withdrawn: '{code}' is not in the catalogue")
    for code, changes in (data.get("procedures") or {}).items():
        try:
            result[code] = check_override(result, code, changes)
        except OverrideError as exc:
            raise CatalogError(f"{path}: {exc}") from exc
    return result


def _merge(base: dict, changes: dict) -> dict:
    """A city's changes over a procedure. `fees:` replaces the whole block (a city's fee rules
    are read as one whole), and so does a plain `fee_yen:` (the older form of a fixed fee: it
    stands for the whole fee, so the base's `fees:` goes); `payment:` changes only the keys it
    names, so a city can show unpaid cases without restating its 歳入科目 code."""
    merged = base | changes
    if "fee_yen" in changes and "fees" not in changes:
        merged.pop("fees", None)
    if "fees" in changes and "fee_yen" not in changes:
        merged.pop("fee_yen", None)
    if isinstance(changes.get("payment"), dict) and isinstance(base.get("payment"), dict):
        merged["payment"] = base["payment"] | changes["payment"]
    return merged


def load_municipal(base: dict[str, Procedure], directory: Path) -> dict[str, Procedure]:
    """A city's directory: its own procedure files (new codes, or whole replacements) in
    `procedures/`, then `overrides.yaml` over the result."""
    procedures = dict(base)
    local = directory / "procedures"
    if local.is_dir():
        procedures |= load_directories([local])
    overrides = directory / "overrides.yaml"
    if overrides.is_file():
        procedures = apply_overrides(procedures, overrides)
    return procedures


@lru_cache(maxsize=1)
def catalog() -> dict[str, Procedure]:
    """The national base (with any extra directories layered by code)."""
    return load_directories(settings.MADOGUCHI_CATALOG_DIRS)


def city_directory(slug: str) -> Path | None:
    """The city's folder of procedure files and overlays, when it has one."""
    directory = Path(settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR) / slug
    return directory if directory.is_dir() else None


@lru_cache(maxsize=256)
def files_for(slug: str) -> dict[str, Procedure]:
    """The national base with the city's folder over it: what is reviewed in the repository
    (its own procedure files, then its `overrides.yaml`). A city without a folder gets the
    national catalogue itself, not a copy. `madoguchi check` reads this layer (it needs no
    database)."""
    directory = city_directory(slug)
    return load_municipal(catalog(), directory) if directory is not None else catalog()


# --- the city's own pages: overrides kept in the database ---------------------------------------
#
# The layers, each over the one before: the national files, the city's files (procedures/*.yaml,
# then overrides.yaml), then the overrides its administrator saved through the pages
# (catalog.models.ProcedureOverride), each checked by `check_override` as a file's would be.
#
# How fresh (the rule of core/cities.py, with its clock and MADOGUCHI_CITY_CACHE_SECONDS): a save
# or delete of an override in this process drops that city's catalogue in every language at once
# (and again when the transaction commits); other processes look at the city's rows again when
# their copy is older than the bound (one query listing codes and update times), and build the
# catalogue again only when those changed. Written by hand for the same reasons as cities.py:
# the catalogue is a dict of pydantic models that a pickling cache would copy on every read.


class _Layered(NamedTuple):
    expires: float
    stamp: tuple  # (code, updated_at) of the city's rows, sorted: what was read
    procedures: dict[str, Procedure]
    broken: dict[str, str]  # code → why a saved override no longer applies


log = logging.getLogger(__name__)
_lock = threading.Lock()
_generation = 0  # bumped by every change: a read begun before it is not kept
_cities: dict[str, _Layered] = {}
_translated: dict[tuple[str, str], tuple[dict, dict]] = {}  # (slug, language) → (source, copy)
MAX_KEPT = 1024  # cities × languages remembered (a deployment of 43 cities in 7 languages: 301)


def _now() -> float:
    return cities._clock()  # one clock for the city cache and this one (tests move it)


def _stamp(slug: str) -> tuple:
    from madoguchi.catalog.models import ProcedureOverride

    return tuple(ProcedureOverride.objects.filter(municipality__slug=slug)
                 .order_by("procedure_code").values_list("procedure_code", "updated_at"))


def _with_page_overrides(slug: str) -> tuple[dict[str, Procedure], dict[str, str]]:
    """The city's files with its saved overrides over them, in code order. An override that no
    longer fits (the national file changed under it since it was saved) is left out and
    reported (`broken_overrides`) rather than taking the city's whole catalogue down."""
    from madoguchi.catalog.models import ProcedureOverride

    result, broken = files_for(slug), {}
    rows = ProcedureOverride.objects.filter(municipality__slug=slug).order_by("procedure_code")
    if not rows:
        return result, broken
    result = dict(result)
    for row in rows:
        if row.withdrawn:
            if result.pop(row.procedure_code, None) is None:
                broken[row.procedure_code] = "not in the catalogue"
            continue
        if not row.data:
            continue
        try:
            result[row.procedure_code] = check_override(result, row.procedure_code, row.data)
        except OverrideError as exc:
            broken[row.procedure_code] = str(exc)
            log.warning("a saved override of %s in %s no longer applies: %s", row.procedure_code, slug, exc)
    return result, broken


def _layered(slug: str) -> _Layered:
    entry = _cities.get(slug)
    now = _now()
    if entry is not None and entry.expires > now:
        return entry
    generation = _generation
    try:
        stamp = _stamp(slug)
    except (DatabaseError, RuntimeError) as exc:  # RuntimeError: a test without a database
        return _files_only(slug, exc)
    if entry is not None and entry.stamp == stamp:
        procedures, broken = entry.procedures, entry.broken
    elif stamp:
        procedures, broken = _with_page_overrides(slug)
    else:
        procedures, broken = files_for(slug), {}
    entry = _Layered(now + cities.cache_seconds(), stamp, procedures, broken)
    with _lock:
        if generation == _generation:  # nothing changed while it was read
            if len(_cities) >= MAX_KEPT:
                _cities.clear()
            _cities[slug] = entry
    return entry


_unread_logged = False


def _files_only(slug: str, error: Exception) -> _Layered:
    """The catalogue when the database cannot be read: before `migrate`, in `madoguchi check`'s
    texts, in a unit test without a database. The files alone, not kept (the next call asks
    the database again); logged once per process, without the error's text."""
    global _unread_logged
    if not _unread_logged:
        _unread_logged = True
        log.warning("the catalogue's saved overrides could not be read (%s): files only", type(error).__name__)
    return _Layered(0.0, (), files_for(slug), {})


def _city(slug: str) -> dict[str, Procedure]:
    return _layered(slug).procedures


def broken_overrides(slug: str) -> dict[str, str]:
    """Saved overrides of the city that no longer apply, by code, with the reason."""
    return dict(_layered(slug).broken)


@lru_cache(maxsize=16)
def _national_in(language: str) -> dict[str, Procedure]:
    return {code: localized(p, language) for code, p in catalog().items()}


def _city_in(slug: str, language: str) -> dict[str, Procedure]:
    """The city's catalogue translated. A city shares the national translated copy of every
    procedure it does not change and its overlays do not translate (43 cities do not hold 43
    copies of the catalogue in each language)."""
    procedures = _city(slug)
    key = (slug, language)
    entry = _translated.get(key)
    if entry is not None and entry[0] is procedures:
        return entry[1]
    generation = _generation
    if city_directory(slug) is None:
        national, base = _national_in(language), catalog()
        translated = national if procedures is base else {
            code: national[code] if p is base.get(code) else _localized_sharing(p, language, national.get(code))
            for code, p in procedures.items()}
    else:  # the city's overlays first: a procedure they do not translate is the national copy
        directory, national, base = city_directory(slug), _national_in(language), catalog()
        common = bool(content.overlay(directory, language, content.COMMON))
        translated = {
            code: national[code] if p is base.get(code) and not common
            and not content.overlay(directory, language, code) else localized(p, language, slug)
            for code, p in procedures.items()}
    with _lock:
        if generation == _generation:
            if len(_translated) >= MAX_KEPT:
                _translated.clear()
            _translated[key] = (procedures, translated)
    return translated


def _localized_sharing(procedure: Procedure, language: str, national: Procedure | None) -> Procedure:
    """A changed procedure of a city without overlays, translated; its form (which an override
    never changes) is the national translated copy's, not another copy of it."""
    copy = localized(procedure, language)
    if national is not None and procedure.forms is japanese(national).forms:
        copy = copy.model_copy(update={"forms": national.forms})  # keeps its original and language
    return copy


def catalog_for(slug: str, language: str | None = None) -> dict[str, Procedure]:
    """The catalogue one city offers (the base with its own files, then the overrides saved
    through its pages), its texts in `language`: the active language by default; "ja" for what
    is stored, staff-facing or legal. Translated copies are made once per (city, language)."""
    language = language_of(language)
    if language == i18n.DEFAULT:
        return _city(slug)
    return _city_in(slug, language)


def forget(slug: str | None = None) -> None:
    """Drop this process's copy of one city's catalogue (every language), or of all cities';
    the files stay read (a change of files needs `reload`)."""
    global _generation
    with _lock:
        _generation += 1
        if slug is None:
            _cities.clear()
            _translated.clear()
            return
        _cities.pop(slug, None)
        for key in [k for k in _translated if k[0] == slug]:
            _translated.pop(key, None)


def reload() -> None:
    """Forget the cached catalogues and their translations (tests, and after a deployment
    changes the files)."""
    catalog.cache_clear()
    files_for.cache_clear()
    _national_in.cache_clear()
    forget()
    clear_cache()
    from madoguchi.catalog.search import forget_indexes

    forget_indexes()


catalog_for.cache_clear = reload  # type: ignore[attr-defined] - as when it was an lru_cache
