"""Translations of content (procedures, life events, counter purposes) in overlay files.

The Japanese files stay the source. Beside them, `i18n/<language>/<name>.po` holds, for the
file `<name>`, each Japanese text (msgid) and its translation (msgstr); `i18n/<language>/
_common.po` holds texts shared by many files (氏名, 住所). The `.po` format is gettext's, so a
city's staff correct a translation in the editor they use for the pages' own strings (Poedit;
docs/i18n.md), and `madoguchi content_messages` adds new texts to every file.

A text with no translation is shown in Japanese as a `Fallback`, which templates mark with
`lang="ja"` (`{% langattr %}`) and `madoguchi check` lists: a fallback is never silent."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polib

from madoguchi.core import i18n

logger = logging.getLogger(__name__)

COMMON = "_common"
OVERLAY_DIR = "i18n"


class Fallback(str):
    """A Japanese text shown in another language's page because it has no translation yet."""

    __slots__ = ()


@dataclass(frozen=True)
class Source:
    """A kind of content that has overlays: `texts()` yields (file name, Japanese text)."""

    name: str
    directory: Path
    texts: Callable[[], Iterable[tuple[str, str]]]

    @property
    def overlay_dir(self) -> Path:
        return self.directory / OVERLAY_DIR


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Called from an app's ready(): its content is then translated, checked and extracted."""
    _SOURCES[source.name] = source


def sources() -> list[Source]:
    return list(_SOURCES.values())


_parsed: dict[Path, tuple[tuple[int, int], dict[str, str]]] = {}


def read(path: Path) -> dict[str, str]:
    """The translated entries of one overlay file (not fuzzy, not obsolete, not empty).
    Parsed once while the file is unchanged (a reload of the content does not parse it again);
    the dict returned is shared: do not change it."""
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    stamp = (stat.st_mtime_ns, stat.st_size)
    known = _parsed.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        entries = polib.pofile(str(path))
    except (OSError, ValueError, UnicodeDecodeError):  # a page shows Japanese; `madoguchi check` names it
        logger.warning("content overlay %s cannot be read; its texts are shown in Japanese", path)
        return {}
    found = {e.msgid: e.msgstr for e in entries if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
    _parsed[path] = (stamp, found)
    return found


def broken(source: Source) -> list[str]:
    """The overlay files of `source` that cannot be read, each with the reason."""
    found = []
    for path in sorted(source.overlay_dir.glob("*/*.po")):
        try:
            polib.pofile(str(path))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            found.append(f"{path}: {exc}")
    return found


_read = read  # the older name


@functools.cache
def _catalogue(directory: Path, language: str, name: str) -> dict[str, str]:
    return read(directory / OVERLAY_DIR / language / f"{name}.po")


def overlay(directory: Path, language: str, name: str) -> dict[str, str]:
    """The translations of one overlay file (cached until clear_cache); {} when it has none."""
    return _catalogue(directory, language, name)


def clear_cache() -> None:
    _catalogue.cache_clear()


def translate(directory: Path, name: str, text: str, language: str) -> str:
    """`text` (Japanese, from the file `name` under `directory`) in `language`.

    Japanese comes back unchanged; an untranslated text comes back as a `Fallback`."""
    if not text or language is None or language == i18n.DEFAULT:
        return text
    if isinstance(text, Fallback):  # translating a fallback again looks up its Japanese
        text = str.__str__(text)
    found = (_catalogue(directory, language, name).get(text)
             or _catalogue(directory, language, COMMON).get(text))
    if found:
        return found
    return text if language == i18n.DEFAULT else Fallback(text)


def missing(source: Source, language: str) -> dict[str, list[str]]:
    """The texts of `source` with no translation in `language`, by file name."""
    gaps: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for name, text in source.texts():
        if not text or (name, text) in seen:
            continue
        seen.add((name, text))
        if isinstance(translate(source.directory, name, text, language), Fallback):
            gaps.setdefault(name, []).append(text)
    return gaps


def describe(source: Source, language: str, gaps: dict[str, list[str]], shown: int = 8) -> tuple[str, str]:
    """A check's message and hint for `gaps` (missing(source, language)): how many texts in
    how many files, and the files with the most first, each with its path and count."""
    count = sum(len(texts) for texts in gaps.values())
    folder = source.overlay_dir / language
    if folder.is_relative_to(Path.cwd()):
        folder = folder.relative_to(Path.cwd())
    ranked = sorted(gaps.items(), key=lambda item: (-len(item[1]), item[0]))
    listed = [f"{name}.po ({len(texts)})" for name, texts in ranked[:shown]]
    if len(ranked) > shown:
        listed.append(f"and {len(ranked) - shown} more")
    message = (f"{source.name}: {count} texts in {len(gaps)} files are shown in Japanese "
               f"in {language} for want of a translation")
    hint = (f"translate the empty msgstr in {folder}/: " + ", ".join(listed)
            + "; `madoguchi content_messages` adds new texts to the files")
    return message, hint


def update_files(source: Source, languages: Iterable[str], header: dict[str, str]) -> list[Path]:
    """Add every text of `source` to each language's file (empty msgstr), keep what is
    translated, and mark texts no longer in the source obsolete (kept, so a translation comes
    back with its text); a file whose content is gone has all its entries marked obsolete.
    Returns the files written."""
    by_name: dict[str, list[str]] = {}
    for name, text in source.texts():
        if text and text not in by_name.setdefault(name, []):
            by_name[name].append(text)
    written = []
    for language in languages:
        folder = source.overlay_dir / language
        common = set(by_name.get(COMMON, [])) | set(read(folder / f"{COMMON}.po"))
        names = set(by_name) | {p.stem for p in folder.glob("*.po")}
        for name in sorted(names):
            texts = by_name.get(name, [])
            path = folder / f"{name}.po"
            po = polib.pofile(str(path), wrapwidth=0) if path.is_file() else polib.POFile(wrapwidth=0)
            po.metadata = {**_metadata(language), **header, **po.metadata}
            known = {e.msgid: e for e in po}
            wanted = [t for t in texts if name == COMMON or t not in common or t in known]
            for text in wanted:
                if text not in known:
                    po.append(polib.POEntry(msgid=text, msgstr=""))
            shared = set(by_name.get(COMMON, ())) if name != COMMON else set()
            for entry in po:
                # a translated entry of a shared text is this file's own wording: it stays
                entry.obsolete = entry.msgid not in wanted and not (entry.msgstr and entry.msgid in shared)
            if not len(po) and not path.is_file():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            po.save(str(path))
            written.append(path)
    clear_cache()
    return written


def _metadata(language: str) -> dict[str, str]:
    return {"Project-Id-Version": "Madoguchi content", "Language": language,
            "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit"}
