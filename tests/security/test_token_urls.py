"""NUL and other control characters in page URLs answer 400 with a page, never a 500.

A NUL in a token reached the database (PostgreSQL refuses it in text: a 500). The request
is refused before any view runs, so no selector has to think about it.
"""

import pytest

pytestmark = pytest.mark.django_db

TOKEN_PAGES = ["/navi/p/abc%00def/", "/queue/t/abc%00def/", "/queue/r/abc%00def/",
               "/navi/p/%00/result/", "/queue/t/x%01/status.json"]


@pytest.fixture
def quiet_client(client, city):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("path", TOKEN_PAGES)
def test_control_character_in_token_path_is_a_plain_400_page(quiet_client, path):
    response = quiet_client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "URL" in response.content.decode()


@pytest.mark.parametrize("query", ["?q=%00", "?next=a%00b", "?x=%1b[31m"])
def test_control_character_in_query_string_is_a_400(quiet_client, query):
    response = quiet_client.get("/navi/" + query)
    assert response.status_code == 400


def test_post_to_token_url_with_nul_is_a_400(quiet_client):
    response = quiet_client.post("/queue/r/abc%00/cancel/", {})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/navi/", "/queue/"])
def test_ordinary_pages_still_answer(quiet_client, path):
    assert quiet_client.get(path + "?q=%E5%87%BA%E7%94%9F").status_code == 200


def test_tab_and_unicode_in_query_are_not_refused(quiet_client):
    """Only C0/DEL control characters are refused: a search for 転入 is a normal query."""
    assert quiet_client.get("/navi/?q=%E8%BB%A2%E5%85%A5+x").status_code == 200


def test_the_api_answers_json_naming_the_part_of_the_url(quiet_client):
    response = quiet_client.get("/api/navigator/plans/abc%00def")
    assert response.status_code == 400
    assert response.json()["field"] == "path"
    assert quiet_client.get("/api/procedures?q=%00").json()["field"] == "query"
