"""Japanese-aware procedure search: what a resident types, in their own words, finds the
procedures that fit, best first.

Text is NFKC-normalised and cut into words by SudachiPy. Words are indexed by their normalised
form (引越し = 引っ越し, 子供 = 子ども = こども) at the three split levels, so 「印鑑証明」 meets
「印鑑登録証明書」; particles, auxiliaries and symbols are dropped. Kana typed for a kanji word
(いんかん, ｲﾝｶﾝ) is looked up in each field's katakana reading. A BM25F score weighs the title
above keywords, category and summary.

synonyms.yaml adds equivalent words and what colloquial phrases imply, always weighted below
the resident's own words. A query is a list of concepts (a word with its synonyms is one) and
a procedure scores the best term of each concept, so listing many synonyms of a word does not
outrank naming the word itself.

The index is built once per catalogue and cached by its content. Sudachi's dictionary is
loaded once per process and a tokenizer made once per thread, as Sudachi requires.
"""

import logging
import math
import re
import threading
import unicodedata
from collections import Counter, OrderedDict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from madoguchi.catalog.i18n import japanese, title_in
from madoguchi.catalog.schema import Procedure
from madoguchi.core import sudachi
from madoguchi.core.i18n import DEFAULT, EASY
from madoguchi.core.i18n.content import Fallback
from madoguchi.core.japanese import to_katakana

logger = logging.getLogger(__name__)

SYNONYMS = Path(__file__).with_name("synonyms.yaml")

# Field → (weight, length normalisation b). The title says what the procedure is; keywords
# are the words residents use; the summary is long and says many things.
FIELDS = {
    "title": (4.0, 0.75),
    "title_easy": (2.0, 0.5),
    "keywords": (2.0, 0.5),
    "category": (1.5, 0.0),
    "summary": (1.0, 0.75),
    "title_translated": (1.0, 0.5),
    "summary_translated": (0.5, 0.75),
}
K1 = 2.0

# How much a query word counts: the resident's own words above everything derived from them.
OWN = 1.0
PART = 0.7  # a piece of a compound word the resident typed (印鑑 of 印鑑証明)
READING = 0.8  # a kana spelling found in a procedure's reading (いんかん → 印鑑)
SYNONYM = 0.6  # an equivalent word from synonyms.yaml
IMPLIED = 0.5  # a concept a colloquial phrase implies (赤ちゃんが生まれた → 出生)

MIN_SHARE = 0.25  # a result scoring below this share of the best one is noise, not an answer
MAX_QUERY = 200  # characters; enough for any real question, and keeps the analysis cheap

# Parts of speech that carry meaning for a search.
CONTENT = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞"}  # ja-only: Sudachi's part-of-speech names (data)
# Normalised forms too common or too light to tell procedures apart.
STOP = frozenset({
    "為る", "居る", "有る", "成る", "出来る", "言う", "思う", "御", "事", "物", "所", "為", "様",  # ja-only: Sudachi's normalised forms (data)
    "方", "時", "中", "際", "場合", "等", "的", "さん", "ちゃん", "達", "くださる", "下さる",  # ja-only: Sudachi's normalised forms (data)
    "頂く", "致す", "貰う", "呉れる", "遣る", "置く", "仕舞う", "見る", "良い", "無い", "欲しい",  # ja-only: Sudachi's normalised forms (data)
    "ます", "です", "どう", "何", "いつ", "どこ", "此れ", "其れ",  # ja-only: Sudachi's normalised forms (data)
    "a", "an", "the", "of", "or", "and", "to", "for", "in", "on", "at", "by", "with", "from",
    "your", "you", "is", "are", "be", "it", "as",
})

_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")  # ja-only: kana folding table (data)
_KANA_ONLY = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc\u30fd\u30fe]+$")
_CHUNKS = re.compile(r"[^\w\u3005\u30fc]+")  # whitespace and punctuation split chunks
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # and lone surrogates


# --- analysis ----------------------------------------------------------------------------------

def _tokenizer():
    """The thread's Sudachi tokenizer (core.sudachi)."""
    return sudachi.tokenizer()


def _finer_modes():
    """The shorter units a compound is also indexed by (B, then A)."""
    from sudachipy import SplitMode

    return (SplitMode.B, SplitMode.A)


def prepare(text: str) -> str:
    """NFKC (full-width digits and letters, half-width kana), lower case, no control codes."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", text)).lower()


def fold(kana: str) -> str:
    """A reading key that forgives how kana are typed: katakana, large kana, no long marks
    (ひっこし, ひつこし and ﾋｯｺｼ agree; パスポート and ぱすぽと too)."""
    return to_katakana(kana).translate(_SMALL_TO_LARGE).replace("ー", "")  # ja-only: the long vowel mark (data)


@dataclass(frozen=True)
class Word:
    """One word of a text: its normalised form, the forms of its longer pieces, its reading.
    A one-character suffix (市外's 外) is too vague to score, but a synonym phrase may still
    name it."""

    form: str
    parts: tuple[str, ...]
    reading: str
    scored: bool = True


@dataclass(frozen=True)
class Analysis:
    words: list[Word]  # content words
    particles: frozenset[str]  # they tell 海外から from 海外へ in phrases
    reading: str  # folded, particles included, so a kana spelling of a phrase still matches

    @cached_property
    def forms(self) -> set[str]:
        """Every normalised form, whole words and their pieces."""
        return {w.form for w in self.words} | {p for w in self.words for p in w.parts}

    @cached_property
    def sequence(self) -> tuple[str, ...]:
        """The words in order, light ones left out (会社を辞めた → 会社, 辞める)."""
        return tuple(w.form for w in self.words if w.form not in STOP)


def analyse(text: str) -> Analysis:
    """Sudachi's C-mode words of `text` with their B- and A-mode pieces (印鑑登録証明書 →
    印鑑, 登録, 証明), its particles, and its folded reading."""
    tokenizer = _tokenizer()
    words, particles, reading = [], set(), []
    for morpheme in tokenizer.tokenize(prepare(text)):
        pos = morpheme.part_of_speech()[0]
        if pos in {"補助記号", "空白"}:  # ja-only: Sudachi's part-of-speech names (data)
            reading.append("|")
            continue
        reading.append(fold(morpheme.reading_form()))
        if pos == "助詞":  # ja-only: Sudachi's part-of-speech name (data)
            particles.add(morpheme.normalized_form())
        if pos not in CONTENT:
            continue
        form = morpheme.normalized_form()
        parts = {m.normalized_form() for mode in _finer_modes() for m in morpheme.split(mode)}
        parts = {p for p in parts if len(p) > 1 and p != form}
        scored = form not in STOP and not (len(form) == 1 and (pos == "接尾辞" or form.isascii()))  # ja-only: Sudachi's part-of-speech name (data)
        words.append(Word(form, tuple(sorted(parts)), fold(morpheme.reading_form()), scored))
    return Analysis(words, frozenset(particles), "".join(reading))


def terms(text: str) -> list[str]:
    """The normalised content words of `text`, as the index sees them: 「引越しした」 →
    ['引っ越し'], 「こどもの医療費」 → ['子供', '医療費']."""
    return [w.form for w in analyse(text).words if w.scored]


def kana_spellings(text: str) -> list[str]:
    """Readings to look for in procedures' readings: each kana-only chunk of the query (and its
    longer words), since Sudachi often cuts hiragana spellings of kanji words wrongly."""
    found = []
    for chunk in _CHUNKS.split(prepare(text)):
        if not _KANA_ONLY.match(chunk):
            continue
        key = fold(chunk)
        if len(key) >= 2:
            found.append(key)
        found += [w.reading for w in analyse(chunk).words
                  if len(w.reading) >= 3 and w.reading != key]
    return list(dict.fromkeys(found))


# --- synonyms ------------------------------------------------------------------------------------


class SynonymError(Exception):
    """synonyms.yaml is unreadable or invalid; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Implication(_Strict):
    """Any of the phrases in `when` (all its words present, in any order) implies the
    concepts in `means`."""

    when: list[str] = Field(min_length=1)
    means: list[str] = Field(min_length=1)


class SynonymFile(_Strict):
    groups: list[list[str]] = Field(default_factory=list)
    phrases: list[Implication] = Field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """A word or phrase of the synonym file, analysed like a query."""

    text: str
    sequence: tuple[str, ...]  # its words in order
    terms: frozenset[str]  # what the entry adds to a query it is expanded into
    particles: frozenset[str]  # a `when` phrase needs them too (市外から is not 市外へ)
    reading: str  # folded

    def spelled(self, spellings: list[str]) -> bool:
        """A kana spelling of the query is this entry (はんこ), or holds it (じつのはんこ)."""
        key = self.reading
        return any(key == s or (len(key) >= 3 and key in s) for s in spellings)

    def in_order(self, query: Analysis) -> bool:
        """A group word: its words stand together, in order, in the query (会社を辞めた is
        会社をやめる; 会社の保険に入ったので国保をやめる is not)."""
        if len(self.sequence) == 1:
            return self.sequence[0] in query.forms
        n, words = len(self.sequence), query.sequence
        return any(words[i:i + n] == self.sequence for i in range(len(words) - n + 1))

    def anywhere(self, vocabulary: set[str], particles: frozenset[str]) -> bool:
        """A `when` phrase: its words (or their synonyms) and particles anywhere in the query."""
        return set(self.sequence) <= vocabulary and self.particles <= particles


@dataclass(frozen=True)
class Synonyms:
    groups: tuple[tuple[Entry, ...], ...]
    phrases: tuple[tuple[tuple[Entry, ...], tuple[Entry, ...]], ...]


def _entry(text: str, where: str, path: Path, particles: bool = False) -> Entry:
    analysis = analyse(text)
    found = frozenset(w.form for w in analysis.words if w.scored)
    if not found:
        raise SynonymError(f"{path}: {where}: '{text}' has no word to search for")
    return Entry(text, analysis.sequence, found,
                 analysis.particles if particles else frozenset(),
                 analysis.reading.replace("|", ""))


class _UniqueKeys(yaml.SafeLoader):
    """YAML that refuses a key given twice, which plain YAML lets the second silently win."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _value in node.value]
        twice = sorted({str(k) for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"key given twice: {', '.join(twice)}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_synonyms(path: Path = SYNONYMS) -> Synonyms:
    """Read and validate a synonym file: `groups:` (lists of equivalent words) and `phrases:`
    ({when: [...], means: [...]}); any other or repeated key, an empty group or a word that
    analyses to nothing is an error naming the entry."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_UniqueKeys)  # noqa: S506 - a SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        raise SynonymError(f"{path}: cannot read: {exc}") from exc
    try:
        parsed = SynonymFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors())
        raise SynonymError(f"{path}: invalid synonym file: {problems}") from exc
    groups = []
    for i, group in enumerate(parsed.groups):
        if len(group) < 2:
            raise SynonymError(f"{path}: groups.{i}: a group needs at least two words")
        groups.append(tuple(_entry(word, f"groups.{i}", path) for word in group))
    phrases = []
    for i, item in enumerate(parsed.phrases):
        when = tuple(_entry(p, f"phrases.{i}.when", path, particles=True) for p in item.when)
        means = tuple(_entry(m, f"phrases.{i}.means", path) for m in item.means)
        phrases.append((when, means))
    return Synonyms(tuple(groups), tuple(phrases))


@lru_cache(maxsize=1)
def synonyms() -> Synonyms:
    """The shipped synonym file, loaded once."""
    return load_synonyms()


# --- the index -----------------------------------------------------------------------------------


@dataclass
class Index:
    """Per term, the BM25F contribution to each procedure holding it; per procedure and field,
    the reading for kana spellings."""

    size: int
    postings: dict[str, list[tuple[int, float]]]
    readings: list[dict[str, str]]
    field_lengths: list[dict[str, int]]
    averages: dict[str, float]  # average field lengths, for spellings scored at query time


def _translated(text: str) -> str:
    """A translated text, or "" for a fallback (its Japanese is indexed already)."""
    return "" if isinstance(text, Fallback) else text


def _field_texts(procedure: Procedure) -> dict[str, list[str]]:
    """The Japanese texts, the やさしい日本語 and English titles (residents type them on any
    page), and the title and summary in the language of the list (a translated copy)."""
    ja = japanese(procedure)
    translated = [] if procedure.language in (DEFAULT, EASY) else [procedure.title]
    titles = dict.fromkeys(t for t in [title_in(ja, "en"), *map(_translated, translated)] if t)
    return {
        "title": [ja.title],
        "title_easy": [title_in(ja, EASY)],
        "keywords": list(ja.keywords),
        "category": [ja.category],
        "summary": [ja.summary],
        "title_translated": list(titles),
        "summary_translated": [] if not translated else [_translated(procedure.summary)],
    }


def _saturate(tf: float) -> float:
    return tf * (K1 + 1) / (K1 + tf)


def _idf(size: int, df: int) -> float:
    return math.log(1 + (size - df + 0.5) / (df + 0.5))


def _normalised(field: str, tf: int, length: int, average: float) -> float:
    weight, b = FIELDS[field]
    return weight * tf / (1 - b + b * length / (average or 1))


def build_index(procedures: list[Procedure]) -> Index:
    """Analyse every field of every procedure once; the query then only adds up postings."""
    counts: list[dict[str, Counter]] = []
    field_lengths: list[dict[str, int]] = []
    readings: list[dict[str, str]] = []
    for procedure in procedures:
        per_field, lengths, spoken = {}, {}, {}
        for field, texts in _field_texts(procedure).items():
            counter: Counter = Counter()
            reading, length = [], 0
            for text in texts:
                if not text:
                    continue
                analysis = analyse(text)
                reading.append(analysis.reading)
                for word in analysis.words:
                    if not word.scored:
                        continue
                    length += 1
                    for term in {word.form, *word.parts} - STOP:
                        counter[term] += 1
            per_field[field], lengths[field], spoken[field] = counter, length, "|".join(reading)
        counts.append(per_field)
        field_lengths.append(lengths)
        readings.append(spoken)
    size = len(procedures)
    averages = {f: sum(lengths[f] for lengths in field_lengths) / (size or 1) for f in FIELDS}
    pseudo: dict[str, dict[int, float]] = {}
    for i, per_field in enumerate(counts):
        for field, counter in per_field.items():
            for term, tf in counter.items():
                value = _normalised(field, tf, field_lengths[i][field], averages[field])
                pseudo.setdefault(term, {}).setdefault(i, 0.0)
                pseudo[term][i] += value
    postings = {}
    for term, docs in pseudo.items():
        idf = _idf(size, len(docs))
        postings[term] = [(i, idf * _saturate(tf)) for i, tf in docs.items()]
    return Index(size, postings, readings, field_lengths, averages)


_indexes: OrderedDict = OrderedDict()
_indexes_lock = threading.Lock()
INDEXES_KEPT = 32  # one per distinct catalogue (cities differ); a changed catalogue is a new key


def _key(procedures: list[Procedure]) -> tuple:
    """What tells the lists' indexes apart: the texts of a copy in one language differ from
    another's, and a fallback is its Japanese (the overlays change only with a reload, which
    forgets the indexes)."""
    return tuple((p.code, p.title, p.category, p.summary, tuple(p.keywords)) for p in procedures)


def forget_indexes() -> None:
    with _indexes_lock:
        _indexes.clear()


def index_for(procedures: list[Procedure]) -> Index:
    """The cached index of this catalogue; any change to an indexed field builds a new one."""
    key = _key(procedures)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is not None:
            _indexes.move_to_end(key)
            return index
    index = build_index(procedures)
    with _indexes_lock:
        _indexes[key] = index
        while len(_indexes) > INDEXES_KEPT:
            _indexes.popitem(last=False)
    return index


# --- the query -----------------------------------------------------------------------------------


Concept = dict[str, float]  # term → weight; a procedure scores its best term


def query_concepts(query: str, table: Synonyms | None = None) -> tuple[list[Concept], list[str]]:
    """The concepts of a query (its words, each with its synonyms; the pieces of its compound
    words; what its phrases imply), and the kana spellings to look for in readings."""
    table = table or synonyms()
    analysis = analyse(query)
    spellings = kana_spellings(query)
    concepts: list[Concept] = []
    covered: set[str] = set()  # the query's words already in a synonym concept
    vocabulary = set(analysis.forms)  # what phrases are matched against: words and synonyms
    for group in table.groups:
        typed = [e for e in group if e.in_order(analysis)]
        spelled = [e for e in group if e not in typed and e.spelled(spellings)]
        if not typed and not spelled:
            continue
        concept: Concept = {}
        for entry in group:
            weight = OWN if entry in typed else READING if entry in spelled else SYNONYM
            for term in entry.terms:
                concept[term] = max(concept.get(term, 0.0), weight)
        concepts.append(concept)
        covered.update(word for entry in typed for word in entry.sequence)
        vocabulary.update(word for entry in group for word in entry.sequence)
    single: Concept = {}
    for word in analysis.words:
        if word.scored and word.form not in covered:
            single[word.form] = OWN
        for part in word.parts:
            if part not in covered and part not in STOP:
                single.setdefault(part, PART)
    concepts += [{term: weight} for term, weight in single.items()]
    for when, means in table.phrases:
        if any(e.anywhere(vocabulary, analysis.particles) or e.spelled(spellings) for e in when):
            concepts += [dict.fromkeys(entry.terms, IMPLIED) for entry in means]
    return concepts, spellings


def _spelling_scores(index: Index, spelling: str) -> dict[int, float]:
    found: dict[int, float] = {}
    for i, fields in enumerate(index.readings):
        tf = 0.0
        for field, reading in fields.items():
            count = reading.count(spelling)
            if count:
                tf += _normalised(field, count, index.field_lengths[i][field],
                                  index.averages[field])
        if tf:
            found[i] = tf
    idf = _idf(index.size, len(found))
    return {i: idf * _saturate(tf) for i, tf in found.items()}


def rank(procedures: list[Procedure], query: str) -> list[tuple[Procedure, float]]:
    """Matching procedures with their scores, best first (ties keep the catalogue's order)."""
    index = index_for(procedures)
    concepts, spellings = query_concepts(query)
    scores: dict[int, float] = {}
    for concept in concepts:
        strongest: dict[int, float] = {}
        for term, weight in concept.items():
            for i, value in index.postings.get(term, ()):
                if weight * value > strongest.get(i, 0.0):
                    strongest[i] = weight * value
        for i, value in strongest.items():
            scores[i] = scores.get(i, 0.0) + value
    for spelling in spellings:
        for i, value in _spelling_scores(index, spelling).items():
            scores[i] = scores.get(i, 0.0) + READING * value
    if not scores:
        return []
    best = max(scores.values())
    ranked = sorted((i for i, s in scores.items() if s >= MIN_SHARE * best),
                    key=lambda i: (-scores[i], i))
    return [(procedures[i], scores[i]) for i in ranked]


def search(procedures: list[Procedure], query: str) -> list[Procedure]:
    """The procedures matching `query`, best first; a blank query returns them all unchanged.
    Never raises: should the analysis fail, a plain substring match answers instead."""
    if not isinstance(query, str):
        query = "" if query is None else str(query)
    query = query[:MAX_QUERY]
    if not prepare(query).strip():
        return procedures
    try:
        return [procedure for procedure, _score in rank(procedures, query)]
    except Exception:  # a search box must answer; the failure is logged without the query
        logger.exception("procedure search failed; answering with a substring match")
        return _substring(procedures, query)


def _substring(procedures: list[Procedure], query: str) -> list[Procedure]:
    words = [w for w in prepare(query).split() if w]
    return [p for p in procedures
            if all(w in prepare(" ".join([p.title, p.summary, japanese(p).title, japanese(p).summary,
                                          *p.keywords])) for w in words)]


def warm_up() -> None:
    """Load the Sudachi dictionary and the synonyms now (about 0.2 s), so that an app server's
    first search does not pay for it; called by the WSGI and ASGI entry points."""
    analyse("引越し")  # ja-only: a word to load the dictionary with (never shown)
    synonyms()
