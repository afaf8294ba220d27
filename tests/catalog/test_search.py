"""The procedure search: Japanese normalisation, ranking, robustness on any input, the
synonym file, and a quality floor over the shipped catalogue and the evaluation set."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from madoguchi.catalog import search as engine
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import Procedure
from madoguchi.catalog.search import (
    SynonymError,
    fold,
    index_for,
    kana_spellings,
    load_synonyms,
    prepare,
    search,
    terms,
)
from madoguchi.catalog.search_eval import Query, evaluate, load_queries

QUERIES = Path(__file__).with_name("search_queries.yaml")
# Written apart from residents' words and cities' pages and never tuned against (its header).
HELD_OUT = Path(__file__).with_name("search_queries_heldout.yaml")

# A few points below what the search reaches on the shipped catalogue (recall@5 1.00, MRR
# 0.93 over 283 queries and 106 procedures; docs/benchmarks.md has the latest run), so a real
# regression fails the test (without synonyms.yaml the first 163 queries reached 0.96, 0.89).
RECALL_FLOOR = 0.96
MRR_FLOOR = 0.90


def procedure(code, title, summary="", category="くらし", keywords=(), **extra) -> Procedure:
    return Procedure(code=code, title=title, summary=summary or f"{title}の手続きです。",
                     category=category, kind="notification", channel="counter",
                     department="shimin", legal_basis="テスト", keywords=list(keywords), **extra)


@pytest.fixture
def small():
    """A small catalogue made here, so ranking tests do not move with the shipped files."""
    return [
        procedure("dog", "犬の登録", "犬を飼い始めたときの登録です。", "届出", ["ペット"]),
        procedure("seal-registration", "印鑑登録", "実印にする印鑑を登録します。", "証明書"),
        procedure("seal-certificate", "印鑑登録証明書の交付", "登録した印鑑の証明書です。",
                  "証明書"),
        procedure("moving-in", "転入届", "ほかの市区町村から住所を移したときの届出です。",
                  "引越し"),
        procedure("moving-within", "転居届", "市内で住所を移したときの届出です。", "引越し"),
        procedure("child-medical", "子ども医療費助成", "お子さんの通院や入院の費用を助成します。",
                  "子育て"),
        procedure("birth", "出生届", "お子さんの出生を届け出ます。", "戸籍"),
        procedure("death", "死亡届", "ご家族の死亡を届け出ます。", "おくやみ"),
    ]


def codes(results):
    return [p.code for p in results]


# --- normalisation -------------------------------------------------------------------------------


def test_spelling_variants_share_one_form():
    assert terms("引越し") == terms("引っ越し")
    assert terms("子供") == terms("子ども") == terms("こども")
    assert terms("ハンコ") == terms("はんこ")


def test_particles_auxiliaries_and_symbols_are_dropped():
    assert terms("赤ちゃんが生まれた！") == ["赤ちゃん", "生まれる"]
    assert terms("父が亡くなった") == ["父", "亡くなる"]


def test_nfkc_and_kana_folding():
    assert prepare("１２３ＡＢＣ\u3000ｲﾝｶﾝ") == "123abc インカン"
    assert fold("ひっこし") == fold("ﾋｯｺｼ") == fold("ひつこし") == "ヒツコシ"
    assert fold("ぱすぽーと") == fold("パスポート")


def test_hiragana_spellings_are_looked_up_by_reading():
    assert "インカン" in kana_spellings("いんかん")
    assert kana_spellings("印鑑") == []  # kanji is matched by its words, not by sound


# --- ranking -------------------------------------------------------------------------------------


def test_colloquial_words_find_the_procedures(small):
    assert set(codes(search(small, "ひっこし"))[:2]) == {"moving-in", "moving-within"}
    assert codes(search(small, "ハンコの証明"))[0] == "seal-certificate"
    assert codes(search(small, "こどもの医療費"))[0] == "child-medical"
    assert codes(search(small, "父が亡くなった"))[0] == "death"
    assert "birth" in codes(search(small, "赤ちゃんが生まれた"))


def test_hiragana_and_half_width_find_kanji_titles(small):
    for query in ["いんかん", "ｲﾝｶﾝ", "インカン"]:
        assert set(codes(search(small, query))[:2]) == {"seal-registration", "seal-certificate"}
    assert codes(search(small, "てんきょ"))[0] == "moving-within"


def test_the_residents_own_word_ranks_above_its_synonyms(small):
    assert codes(search(small, "転居"))[0] == "moving-within"
    assert codes(search(small, "転入"))[0] == "moving-in"


def test_title_ranks_above_summary():
    catalogue = [
        procedure("mentions", "住民票の写し", "戸籍の附票も一緒に請求できます。"),
        procedure("titled", "戸籍の附票の写し", "住所の履歴を証明します。"),
    ]
    assert codes(search(catalogue, "戸籍の附票")) == ["titled", "mentions"]


def test_only_matches_are_returned(small):
    assert search(small, "パスポート") == []
    assert "dog" not in codes(search(small, "印鑑"))


def test_blank_query_returns_the_catalogue_unchanged(small):
    for query in ["", "   ", "\u3000\u3000", "\n"]:
        assert search(small, query) == small


def test_changed_catalogue_rebuilds_its_index(small):
    assert index_for(small) is index_for(list(small))
    changed = [*small[:-1], procedure("death", "死亡届", keywords=["おくやみ窓口"])]
    assert index_for(changed) is not index_for(small)
    assert codes(search(changed, "おくやみ窓口")) == ["death"]


# --- robustness ----------------------------------------------------------------------------------

ODD = [
    "あ" * 10_000,
    "!!!???###",
    "\u3000\u3000引越し\u3000\u3000",
    "🐶🐕 犬",
    "１２３４５",
    "12345",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00\x1f\x7f",
    "ｶﾞｲｺｸｼﾞﾝ",
    "𠮷野家",
    "\ud800",  # a lone surrogate
    "̈",  # a lone combining mark
]


@pytest.mark.parametrize("query", ODD)
def test_any_input_answers_without_error(small, query, caplog):
    results = search(small, query)
    assert all(p in small for p in results)
    assert not caplog.records  # answered by the search itself, not by its fallback


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_search_never_raises(query):
    catalogue = [procedure("a", "印鑑登録"), procedure("b", "転入届")]
    results = search(catalogue, query)
    assert len(results) == len(set(codes(results))) <= 2


def test_a_failing_analysis_falls_back_to_substring_match(small, monkeypatch):
    def broken(*args):
        raise RuntimeError("dictionary missing")

    monkeypatch.setattr(engine, "rank", broken)
    assert codes(search(small, "転居届")) == ["moving-within"]


def test_threads_each_get_a_working_tokenizer(small):
    queries = ["ひっこし", "いんかん", "赤ちゃんが生まれた", "父が亡くなった"] * 10
    expected = [codes(search(small, q)) for q in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda q: codes(search(small, q)), queries))
    assert got == expected


# --- the synonym file ----------------------------------------------------------------------------


def test_shipped_synonyms_load():
    table = load_synonyms()
    assert len(table.groups) >= 20 and len(table.phrases) >= 10
    words = {entry.text for group in table.groups for entry in group}
    assert {"引越し", "転入", "ハンコ", "印鑑", "国保", "国民健康保険"} <= words


@pytest.mark.parametrize("content, message", [
    ({"groups": [["引越し", "転入"]], "synonym": []}, "synonym"),
    ({"phrases": [{"when": ["結婚した"], "means": ["婚姻届"], "weight": 2}]}, "weight"),
    ({"groups": [["引越し"]]}, "at least two words"),
    ({"groups": [["引越し", "の"]]}, "has no word"),
    ({"phrases": [{"when": [], "means": ["婚姻届"]}]}, "phrases.0.when"),
    (["引越し", "転入"], "invalid synonym file"),
])
def test_invalid_synonym_file_is_named(tmp_path, content, message):
    path = tmp_path / "synonyms.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SynonymError) as error:
        load_synonyms(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_a_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "synonyms.yaml"
    path.write_text("groups:\n  - [国保, 国民健康保険]\ngroups:\n  - [犬, 愛犬]\n", encoding="utf-8")
    with pytest.raises(SynonymError, match="key given twice: groups"):
        load_synonyms(path)


def test_expansions_score_below_the_residents_words():
    concepts, _spellings = engine.query_concepts("赤ちゃんが生まれた")
    baby = next(c for c in concepts if "赤ちゃん" in c)
    assert baby["赤ちゃん"] == baby["生まれる"] == engine.OWN
    assert baby["出生"] == engine.SYNONYM < engine.OWN
    implied = [c for c in concepts if "児童手当" in c]
    assert implied and all(c["児童手当"] == engine.IMPLIED < engine.SYNONYM for c in implied)


def test_a_word_and_its_synonyms_count_once():
    """One concept scores its best term: a procedure listing many synonyms of 実印 does not
    beat the one listing the resident's own word."""
    catalogue = [
        procedure("many", "登録の案内", "案内です。", keywords=["印鑑", "ハンコ", "印影"]),
        procedure("own", "届出の案内", "案内です。", keywords=["実印"]),
    ]
    assert codes(search(catalogue, "実印")) == ["own", "many"]


def test_group_phrases_must_stand_together():
    together, _ = engine.query_concepts("会社を辞めた")
    apart, _ = engine.query_concepts("会社の保険に入ったので国保を辞める")
    assert any("退職" in c for c in together)
    assert not any("退職" in c for c in apart)


def test_particles_give_a_phrase_its_direction():
    coming, _ = engine.query_concepts("海外から戻った")
    going, _ = engine.query_concepts("海外へ行く")
    assert any("転入届" in c for c in coming) and not any("転入届" in c for c in going)
    assert any("転出届" in c for c in going) and not any("転出届" in c for c in coming)


# --- the evaluation set and the quality floor ----------------------------------------------------


def test_evaluation_set_is_well_formed():
    queries = load_queries(QUERIES)
    assert len(queries) >= 120
    assert len({q.q for q in queries}) == len(queries)
    for query in queries:
        assert query.q.strip() and 1 <= len(query.expect) <= 4, query
        assert len(set(query.expect)) == len(query.expect), query


def test_evaluation_set_names_shipped_procedures():
    """A renamed or removed procedure must be renamed here too, not silently skipped."""
    shipped = set(catalog())
    unknown = sorted({c for q in load_queries(QUERIES) for c in q.expect} - shipped)
    assert not unknown


def words(text: str) -> set[str]:
    """Every word of a text, pieces of compounds included (印鑑登録証明書 → 印鑑, 証明 …)."""
    return engine.analyse(text).forms - engine.STOP


def test_evaluation_set_is_in_residents_words():
    """At least 40 queries share no word, not even a piece of one, with the titles of the
    procedures they expect."""
    titles = {p.code: words(p.title) for p in catalog().values()}
    unlike = [q for q in load_queries(QUERIES)
              if all(c in titles for c in q.expect)
              and not words(q.q) & set().union(*(titles[c] for c in q.expect))]
    assert len(unlike) >= 40


def meets_floor(quality) -> bool:
    return quality.recall_at_5 >= RECALL_FLOOR and quality.mrr >= MRR_FLOOR


def test_search_quality_floor():
    quality = evaluate(list(catalog().values()), load_queries(QUERIES))
    assert quality.n >= 120 and quality.skipped == 0
    report = "\n".join(f"{f.q}: missing {f.missing}, got {f.got}" for f in quality.failures)
    assert meets_floor(quality), (quality.recall_at_5, quality.mrr, report)


# The held-out set is measured, not fitted: its floor sits a few points below what the search
# reaches (recall@5 0.958, MRR 0.891 over 106 queries when it was written), so only a real loss
# on words the search was never tuned to fails here.
HELD_OUT_RECALL_FLOOR = 0.90
HELD_OUT_MRR_FLOOR = 0.83


def test_search_quality_on_the_held_out_set():
    quality = evaluate(list(catalog().values()), load_queries(HELD_OUT))
    assert quality.n >= 100 and quality.skipped == 0
    report = "\n".join(f"{f.q}: missing {f.missing}, got {f.got}" for f in quality.failures)
    assert quality.recall_at_5 >= HELD_OUT_RECALL_FLOOR, (quality.recall_at_5, report)
    assert quality.mrr >= HELD_OUT_MRR_FLOOR, (quality.mrr, report)


def test_the_floor_catches_a_broken_search():
    procedures = list(catalog().values())
    queries = load_queries(QUERIES)

    def unranked(catalogue, query):  # every procedure, in catalogue order
        return catalogue

    def worst_first(catalogue, query):  # the right matches, in the wrong order
        return search(catalogue, query)[::-1]

    for broken in (unranked, worst_first):
        assert not meets_floor(evaluate(procedures, queries, search=broken)), broken.__name__


def test_evaluate_scores_recall_and_rank():
    catalogue = [procedure(c, t) for c, t in [("a", "印鑑登録"), ("b", "転入届"), ("c", "転居届")]]
    queries = [Query("印鑑", ("a",)), Query("転入", ("b", "x")), {"q": "x", "expect": ["x"]}]

    def fixed(_catalogue, query):
        return {"印鑑": catalogue[::-1], "転入": catalogue[2:]}.get(query, [])

    quality = evaluate(catalogue, queries, search=fixed)
    assert (quality.n, quality.skipped) == (2, 1)
    assert quality.recall_at_5 == pytest.approx((1 + 0) / 2)
    assert quality.mrr == pytest.approx((1 / 3 + 0) / 2)
    assert [f.q for f in quality.failures] == ["転入"]


def test_warm_up_loads_what_the_first_search_needs(monkeypatch):
    import threading

    from madoguchi.catalog.search import warm_up
    from madoguchi.core import sudachi

    monkeypatch.setattr(sudachi, "_dictionary", None)
    monkeypatch.setattr(sudachi, "_local", threading.local())
    warm_up()
    assert sudachi._dictionary is not None
