"""表示の設定 and the accessibility pages: reachable, the choice kept, the checklist complete."""

import re

from madoguchi.core import accessibility


def test_the_settings_page_keeps_large_text_and_high_contrast(client, city):
    page = client.get("/settings/display/?text=large&contrast=high")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<body[^>]*class="text-large contrast-high"', html)
    assert 'data-text-size="large"' in html and 'data-contrast="high"' in html
    assert re.search(r'id="text-large"[^>]*checked', html) and re.search(r'id="contrast-high"[^>]*checked', html)
    # the next page, without any query, keeps them
    assert re.search(r'<body[^>]*class="text-large contrast-high"', client.get("/").content.decode())
    client.get("/settings/display/?text=normal&contrast=normal")
    assert 'class="text-large' not in client.get("/").content.decode()


def test_unknown_choices_are_ignored(client, city):
    page = client.get("/settings/display/?text=huge&contrast=pink")
    assert page.status_code == 200
    assert 'data-text-size="normal"' in page.content.decode()


def test_the_header_links_the_settings_and_has_a_hidden_read_aloud_button(client, city):
    html = client.get("/").content.decode()
    assert 'id="display-settings-link" href="/settings/display/"' in html
    button = re.search(r"<button[^>]*id=\"read-aloud\"[^>]*>", html).group(0)
    assert " hidden" in button and "data-label-start=" in button and "data-label-stop=" in button
    assert 'id="language-switch"' in html


def test_the_settings_page_offers_every_language(client, city):
    html = client.get("/settings/display/?lang=vi").content.decode()
    offered = re.findall(r'<ul class="language-list".*?</ul>', html, re.S)[0]
    assert set(re.findall(r'data-lang="([^"]+)"', offered)) == {
        "ja", "ja-easy", "en", "zh-hans", "ko", "vi", "pt-br"}
    assert re.search(r'data-lang="vi" aria-current="true"', offered)


def test_accessibility_pages_render_in_each_language(client, city):
    for code in ("ja", "ja-easy", "en", "zh-hans", "ko", "vi", "pt-br"):
        for url in ("/accessibility/", "/accessibility/results/"):
            assert client.get(f"{url}?lang={code}").status_code == 200, (url, code)


def test_the_results_page_lists_every_criterion_once_with_a_result(client, city):
    html = client.get("/accessibility/results/").content.decode()
    rows = re.findall(r'data-criterion="([\d.]+)" data-result="([a-z-]+)"', html)
    assert len(rows) == 38 == len({number for number, _ in rows})  # JIS X 8341-3:2016 A + AA
    assert {result for _, result in rows} <= {"pass", "fail", "not-applicable"}
    assert 'data-conformance="partial"' in html  # 一部準拠 while manual checks are open
    assert accessibility.AXE_CORE_VERSION in html and accessibility.TEST_DATE in html
    assert re.search(r'id="partial-criteria">\s*<li data-criterion=', html)


def test_the_checklist_is_levels_a_and_aa_of_wcag_2_0():
    levels = {c.number: c.level for c in accessibility.CRITERIA}
    assert sum(1 for level in levels.values() if level == "A") == 25
    assert sum(1 for level in levels.values() if level == "AA") == 13
    assert all(c.result in accessibility.RESULTS for c in accessibility.CRITERIA)
    assert any(c.partial for c in accessibility.CRITERIA)


def test_pages_refuse_post(client, city):
    assert client.post("/settings/display/").status_code == 405
