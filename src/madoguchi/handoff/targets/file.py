"""File export (the 申請管理 specification's way): one file per case and event dropped in a
directory that the business system imports.

Layout: `<directory>/<procedure code>/<receipt number>_<event>.csv` (or `.json`), and beside
them `schema-v<form version>.json`, the CSV layout as a Table Schema (layouts.py). The name
depends only on the case and the event, so a re-delivery (a retry, a worker killed after
writing, a 再送) replaces the same file and never leaves a second one.

Each file is written whole to a hidden temporary file in the same directory (`.<name>.part`),
flushed to disk and renamed over the final name (`os.replace`, atomic on one file system), so
an importer never reads half a file; importers ignore names starting with ".".

Encoding (CSV only; JSON is always UTF-8): `utf-8` (default), `utf-8-sig` (with the BOM that
Excel wants) or `cp932` (Shift_JIS as Windows writes it, which many business systems want). A
value that CP932 cannot hold (𠮷, a wave dash …) is refused, not written as "?": the hand-off
fails at once, naming the column (never the value), so a person decides.
"""

import json
import os
from io import StringIO
from pathlib import Path
from typing import Literal

from madoguchi.core import csvsafe
from madoguchi.core.files import write_atomically
from madoguchi.handoff import conf, layouts
from madoguchi.handoff.targets import register
from madoguchi.handoff.targets.base import DeliveryFailed, HandoffTarget, TargetSettings

FILE_MODE = 0o640  # the importer reads through the group


class FileSettings(TargetSettings):
    kind: Literal["file"]
    # Absolute (a share the business system reads: it must exist, it is never created, so an
    # unmounted share is not filled from below), or relative to MADOGUCHI_HANDOFF_DIR (created).
    directory: str
    format: Literal["csv", "json"] = "csv"
    encoding: Literal["utf-8", "utf-8-sig", "cp932"] = "utf-8"


@register
class FileTarget(HandoffTarget):
    kind = "file"
    Settings = FileSettings

    @property
    def directory(self) -> Path:
        directory = Path(self.settings.directory)
        return directory if directory.is_absolute() else conf.export_dir() / directory

    @property
    def ours(self) -> bool:
        return not Path(self.settings.directory).is_absolute()

    def check_config(self) -> list[str]:
        if not self.directory.is_dir() and not self.ours:
            return [f"directory {self.directory} does not exist"]
        if self.directory.is_dir() and not os.access(self.directory, os.W_OK):
            return [f"directory {self.directory} is not writable"]
        return []

    def path_for(self, handoff, extension: str | None = None) -> Path:
        case = handoff.submission
        return self.directory / case.procedure_code / f"{case.receipt_number}_{handoff.event}.{extension or self.settings.format}"

    def deliver(self, handoff, payload: dict) -> None:
        if self.ours:
            try:
                self.directory.mkdir(mode=0o750, parents=True, exist_ok=True)
            except OSError as exc:
                raise DeliveryFailed(f"write_failed:{type(exc).__name__}") from None
        if not self.directory.is_dir():
            raise DeliveryFailed("directory_missing")  # a share not mounted yet: try again later
        path = self.path_for(handoff)
        try:
            path.parent.mkdir(mode=0o750, exist_ok=True)
            if self.settings.format == "json":
                from madoguchi.handoff.payload import body

                write_atomically(path, body(payload), FILE_MODE)
                return
            columns = self._columns(handoff)
            self._publish_schema(path.parent, handoff, columns)
            write_atomically(path, self._csv(columns, payload), FILE_MODE)
        except OSError as exc:
            raise DeliveryFailed(f"write_failed:{type(exc).__name__}") from None

    def _columns(self, handoff) -> list[layouts.Column]:
        from madoguchi.catalog.selectors import procedure_of_record

        case = handoff.submission
        procedure = procedure_of_record(case.municipality, case.procedure_code, language="ja")
        form = procedure.form(case.versions.get(number=handoff.version).form_version)
        return layouts.columns(procedure, form, self.settings.include_my_number)

    def _csv(self, columns: list[layouts.Column], payload: dict) -> bytes:
        text = StringIO(newline="")
        writer = csvsafe.writer(text)
        writer.writerow([c.name for c in columns])
        values = layouts.row(columns, payload)
        writer.writerow(values)
        if self.settings.encoding == "cp932":
            for column, value in zip(columns, values, strict=True):
                try:
                    value.encode("cp932")
                except UnicodeEncodeError:
                    raise DeliveryFailed(f"unencodable_cp932:{column.name}", permanent=True) from None
        return text.getvalue().encode(self.settings.encoding)

    def _publish_schema(self, directory: Path, handoff, columns: list[layouts.Column]) -> None:
        """`schema-v<form version>.json` beside the files, rewritten only when it changes."""
        version = handoff.submission.versions.get(number=handoff.version).form_version
        schema = layouts.table_schema(columns)
        data = json.dumps(schema, ensure_ascii=False, indent=1).encode()
        path = directory / f"schema-v{version}.json"
        try:
            if path.read_bytes() == data:
                return
        except FileNotFoundError:
            pass
        write_atomically(path, data, FILE_MODE)
