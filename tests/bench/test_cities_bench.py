"""bench/cities.py at a tiny size (3 cities × 20 residents), so a change that breaks the
43-city benchmark fails here rather than in `make bench`: the codes are real ones with their
check digits, each generated city is served on its hosts with its own overrides and register,
and the walk over the cities finds no leak — and does find one when a clerk is given a
department of another city."""

import importlib.util
from pathlib import Path

import pytest

from madoguchi.applications.models import Submission
from madoguchi.catalog.loader import reload
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core import cities as city_cache
from madoguchi.core.models import Department, Municipality, Role, StaffMembership
from madoguchi.register.models import Resident

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_cities", ROOT / "bench" / "cities.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

CITIES = bench.KAGOSHIMA[:3]
RESIDENTS = 20


def test_the_list_is_kagoshimas_43_with_valid_codes():
    codes = [c[0] for c in bench.KAGOSHIMA]
    assert len(bench.KAGOSHIMA) == 43 and len(set(codes)) == 43
    assert len({c[3] for c in bench.KAGOSHIMA}) == 43
    assert all(code.startswith("46") and int(code[5]) == bench.check_digit(code[:5]) for code in codes)
    # the rule against codes of other prefectures (千代田区, 札幌市, 那覇市)
    for code in ("131016", "011002", "472018"):
        assert int(code[5]) == bench.check_digit(code[:5])
    assert int("462013"[5]) != bench.check_digit("46201")
    withdrawn = [frozenset(bench.withdrawn_of(i)) for i in range(43)]
    assert len(set(withdrawn)) == 43 and all(1 <= len(w) <= 3 for w in withdrawn)
    kinds = [c[1][-1] for c in bench.KAGOSHIMA]
    assert (kinds.count("市"), kinds.count("町"), kinds.count("村")) == (19, 20, 4)


@pytest.fixture
def generated(db, settings, tmp_path):
    settings.ALLOWED_HOSTS = [".bench.localhost", "testserver"]
    settings.MADOGUCHI_MUNICIPAL_CATALOG_DIR = tmp_path
    if bench.override_model() is None:
        bench.write_override_files(tmp_path, CITIES)
    reload()
    city_cache.forget()
    timings = bench.generate(CITIES, RESIDENTS)
    yield timings
    reload()
    city_cache.forget()


def test_each_city_is_served_on_its_hosts_with_its_own_overrides_and_register(generated):
    assert generated["cities"] == 3 and generated["residents"] == 3 * RESIDENTS
    for index, (code, name, _kana, slug) in enumerate(CITIES):
        city = Municipality.objects.get(slug=slug)
        assert city.code == code and city.name == name
        for host in (f"{slug}.bench.localhost", f"{code}.bench.localhost:8000"):
            assert city_cache.municipality_for_host(host).pk == city.pk
        assert Resident.objects.filter(municipality=city).count() == RESIDENTS
        assert Department.objects.filter(municipality=city).count() == len(bench.DEPARTMENTS)
        assert Submission.objects.filter(department__municipality=city).count() == 1
        fee = get_procedure(city, bench.FEE_PROCEDURE, "ja").fee_rules.lines[0].unit_yen
        assert fee == bench.fee_of(index)
        withdrawn = set(bench.withdrawn_of(index))
        assert withdrawn and all(get_procedure(city, code, "ja") is None for code in withdrawn)
        others = set(bench.WITHDRAWABLE) - withdrawn
        assert others and all(get_procedure(city, code, "ja") is not None for code in others)
    assert bench.filled(CITIES, RESIDENTS)
    assert not bench.filled(CITIES, RESIDENTS + 1)


def test_the_walk_finds_no_leak_and_finds_a_planted_one(generated):
    clean = bench.walk_cities([c[3] for c in CITIES])
    assert clean["leaks"] == 0, clean["leak_list"]
    per_city = 12 if clean["admin_page"] else 10
    assert clean["requests"] == per_city * len(CITIES)
    costs = bench.lookup_costs([c[3] for c in CITIES])
    assert costs["fresh_statements"] == 0 and costs["stale_statements"] >= 2
    # A clerk of the first city given a department of the second: the second city's queue now
    # answers that clerk, which the walk must count.
    first, second = (Municipality.objects.get(slug=c[3]) for c in CITIES[:2])
    StaffMembership.objects.create(user=StaffMembership.objects.filter(
        department__municipality=first, role=Role.CLERK).first().user,
        department=Department.objects.get(municipality=second, code="zeimu"), role=Role.CLERK)
    leaky = bench.walk_cities([c[3] for c in CITIES])
    assert leaky["leaks"] >= 1
    assert any(CITIES[0][3] in leak and CITIES[1][3] in leak for leak in leaky["leak_list"])


def test_the_report_renders(tmp_path):
    """The section is written between its markers and keeps the rest of the file."""
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nother sections\n")
    timing = {"p50": 1.0, "p95": 2.0, "n": 100}
    results = {
        "command": ".venv/bin/python bench/cities.py", "django": "5.2", "server": "PostgreSQL 15",
        "slugs": ["kagoshima"],
        "generate": {"cities": 43, "per_city": 10000, "residents": 430000, "overrides": "files",
                     "t_cities": 1.0, "t_cases": 1.0, "t_register": 60.0, "register_p50": 1.4,
                     "register_max": 2.0},
        "overhead": {k: timing for k in ("health", "api_one", "api_all", "page_one", "page_all")}
        | {"wrong_city": 0, "errors": 0, "load_before": "1 1 1", "load_after": "1 1 1", "workers": 2,
           "rss_started": [50.0], "rss_warm": [90.0], "rss_end": [90.0], "hosts": 43},
        "memory": {"languages": ["ja"] * 7, "cities": 43,
                   "rss": {"setup": 50, "one_city": 60, "catalogues": 160, "indexes": 200},
                   "traced_catalogues": 90, "traced_index": 0.8, "t_load": 10, "t_again": 0.1,
                   "t_index": 5, "indexed": 301, "index_first_ms": 400, "index_last_ms": 0.1,
                   "entries": 20000, "distinct_procedures": 2000,
                   "kept_catalogues": 344, "catalogue_room": 1024, "indexes_asked": 301,
                   "kept_indexes": [32, 32]},
        "walk": {"cities": 43, "requests": 473, "leaks": 0, "seconds": 20.0, "admin_page": "/staff/city/"},
        "lookup": {"hit_us": 2.0, "miss_us": 500.0, "miss_p95_us": 900.0, "fresh_ms": 1.0, "stale_ms": 2.0,
                   "fresh_statements": 0, "stale_statements": 3},
        "access_tests": [{"file": "tests/casework/test_access.py", "passed": 20, "failed": 0, "tests": 10.0,
                          "wall": 15.0, "returncode": 0}],
    }
    box = {"cpu": "cpu", "cores": 2, "ram": "1 GiB", "os": "Linux", "python": "3.11"}
    from datetime import datetime

    section = bench.render(results, box, datetime.now().astimezone(), "1 1 1", 600)
    bench.hardware.write_section(doc, bench.BEGIN, bench.END, section, "")
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n\nother sections\n") and bench.BEGIN in text and bench.END in text
    assert "**473 requests in 20.0 s, 0 leaks**" in text
    bench.hardware.write_section(doc, bench.BEGIN, bench.END, section, "")
    assert doc.read_text().count(bench.BEGIN) == 1
    # a kept database shows the timings of the run that generated it, saying so
    results["generate"] |= {"reused": True, "generated_at": "2026-12-04 03:10 UTC"}
    kept = bench.render(results, box, datetime.now().astimezone(), "1 1 1", 600)
    assert "kept from an earlier run" in kept and "generated 2026-12-04 03:10 UTC" in kept
    assert "| 430,000 register residents" in kept
