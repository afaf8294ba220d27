"""Each city's hand-off targets: `<slug>/handoff.yaml` beside the city's catalogue
(MADOGUCHI_HANDOFF_CONFIG_DIR, by default MADOGUCHI_MUNICIPAL_CATALOG_DIR), validated with
pydantic against the registered kinds' settings models:

    targets:
      - name: jidou-teate-files          # stable: hand-offs are recorded under it
        kind: file
        title: 児童手当システム（ファイル連携）
        procedures: [child-allowance-claim]
        events: [decided]
        directory: demo/jidou-teate       # relative to MADOGUCHI_HANDOFF_DIR
        format: csv
        encoding: cp932
      - name: kokuho-api
        kind: http
        procedures: [nhi-enrollment]
        events: [accepted, decided]
        url: https://kokuho.example.lg.jp/madoguchi/handoffs
        secret_file: /etc/madoguchi/handoff/kokuho.secret

A file rather than rows edited on a page: the targets are agreed with the business systems'
vendors and reviewed like the catalogue; the only secret (the HTTP target's signing secret)
stays in a file the YAML names, so it is never in the database, in clear or otherwise. The file
is read again when it changes (its size and modification time), so no restart is needed.
"""

import threading
from pathlib import Path
from typing import Annotated, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from madoguchi.handoff import conf
from madoguchi.handoff.targets import HandoffTarget, registry

FILENAME = "handoff.yaml"


class HandoffConfigError(Exception):
    """The city's handoff.yaml cannot be read or does not validate; the message says where
    (no secret is ever in it: the file holds none)."""


class _Unique(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def names_unique(self):
        names = [t.name for t in self.targets]  # type: ignore[attr-defined]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"target names used twice: {', '.join(twice)}")
        return self


def _file_model() -> type[BaseModel]:
    kinds = tuple(cls.Settings for cls in registry.values())
    target = Annotated[Union[kinds], Field(discriminator="kind")]  # noqa: UP007 - a runtime tuple
    return create_model("HandoffFile", __base__=_Unique, targets=(list[target], []))


_cache: dict[Path, tuple[tuple, object]] = {}
_lock = threading.Lock()


def path_for(municipality) -> Path:
    return conf.config_dir() / municipality.slug / FILENAME


def _parse(path: Path):
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise HandoffConfigError(f"{path.name}: {type(exc).__name__}") from None
    try:
        return _file_model().model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise HandoffConfigError(f"{path.name}: {problems}") from None


def targets_for(municipality) -> list[HandoffTarget]:
    """The city's targets ([] without a file); HandoffConfigError when the file is wrong."""
    path = path_for(municipality)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise HandoffConfigError(f"{FILENAME}: {type(exc).__name__}") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(path)
    if cached is None or cached[0] != stamp:
        parsed = _parse(path)
        with _lock:
            _cache[path] = cached = (stamp, parsed)
    return [registry[s.kind](s, municipality) for s in cached[1].targets]


def target(municipality, name: str) -> HandoffTarget | None:
    return next((t for t in targets_for(municipality) if t.name == name), None)


def problems(municipality) -> list[str]:
    """Everything wrong with a city's hand-off settings, for `madoguchi check` and the staff page:
    the file, unknown procedure codes, each target's own check."""
    try:
        targets = targets_for(municipality)
    except HandoffConfigError as exc:
        return [str(exc)]
    from madoguchi.catalog.loader import catalog_for

    known = set(catalog_for(municipality.slug))
    found = []
    for t in targets:
        found += [f"{t.name}: unknown procedure {code}" for code in t.settings.procedures if code not in known]
        found += [f"{t.name}: {problem}" for problem in t.check_config()]
    return found
