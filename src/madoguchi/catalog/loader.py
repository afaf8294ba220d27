"""Load and validate the procedure YAML files; a broken file names its path, field and reason."""

from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from pydantic import ValidationError

from madoguchi.catalog.i18n import clear_cache, language_of, localized
from madoguchi.catalog.schema import Procedure
from madoguchi.core import i18n


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
        if code not in result:
            raise CatalogError(f"{path}: procedures.{code}: not in the catalogue "
                               "(a local procedure goes in its own file)")
        if not isinstance(changes, dict):
            raise CatalogError(f"{path}: procedures.{code}: give the fields to change")
        refused = sorted(set(changes) - OVERRIDABLE)
        if refused:
            raise CatalogError(f"{path}: procedures.{code}: cannot override {', '.join(refused)}")
        merged = _merge(result[code].model_dump(by_alias=True, exclude_unset=True), changes)
        try:
            result[code] = Procedure.model_validate(merged)
        except ValidationError as exc:
            raise CatalogError(describe(path, exc).replace(
                "invalid procedure file", f"procedures.{code}: invalid override")) from exc
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


@lru_cache(maxsize=64)
def _city(slug: str) -> dict[str, Procedure]:
    directory = Path(settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR) / slug
    return load_municipal(catalog(), directory) if directory.is_dir() else catalog()


@lru_cache(maxsize=256)
def _city_in(slug: str, language: str) -> dict[str, Procedure]:
    return {code: localized(p, language, slug) for code, p in _city(slug).items()}


def catalog_for(slug: str, language: str | None = None) -> dict[str, Procedure]:
    """The catalogue one city offers (the base with its own files and overrides), its texts in
    `language`: the active language by default; "ja" for what is stored, staff-facing or legal.
    Translated copies are made once per (city, language)."""
    language = language_of(language)
    if language == i18n.DEFAULT:
        return _city(slug)
    return _city_in(slug, language)


def reload() -> None:
    """Forget the cached catalogues and their translations (tests, and after a deployment
    changes the files)."""
    catalog.cache_clear()
    _city.cache_clear()
    _city_in.cache_clear()
    clear_cache()
    from madoguchi.catalog.search import forget_indexes

    forget_indexes()


catalog_for.cache_clear = reload  # type: ignore[attr-defined] - as when it was an lru_cache
