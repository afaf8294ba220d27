"""Load and validate the procedure YAML files; a broken file names its path, field and reason."""

from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from pydantic import ValidationError

from madoguchi.catalog.schema import Procedure


class CatalogError(Exception):
    """A procedure file is unreadable or invalid. The message names the file and field."""


def _describe(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid procedure file"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def load_file(path: Path) -> Procedure:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: the file must hold one mapping (a procedure)")
    try:
        procedure = Procedure.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(_describe(path, exc)) from exc
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


@lru_cache(maxsize=1)
def catalog() -> dict[str, Procedure]:
    return load_directories(settings.MADOGUCHI_CATALOG_DIRS)
