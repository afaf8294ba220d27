"""HTTP to the provider with urllib: JSON in and out, bounded, never following redirects.

No redirects: an OpenID endpoint that redirects is misconfigured or hijacked, and following it
would carry the authorization code or an access token somewhere else. Network failures become
`OidcError("provider_unreachable")`; HTTP error statuses are returned for the caller to judge,
because what a 400 means depends on the endpoint.
"""

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from madoguchi.identity.oidc.errors import OidcError

MAX_BYTES = 1024 * 1024
USER_AGENT = "madoguchi-oidc/1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Response:
    status: int
    body: object  # the decoded JSON, or None when the body was not JSON
    content_type: str


def request(url: str, *, method: str = "GET", form: dict | None = None,
            json_body: dict | None = None, headers: dict | None = None,
            timeout: float = 10.0) -> Response:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise OidcError("provider_error", f"refusing non-HTTP URL {url!r}")
    data = None
    all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    if form is not None:
        data = urllib.parse.urlencode(form).encode("ascii")
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310 (scheme checked above)
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return _response(resp.status, resp.headers, resp.read(MAX_BYTES + 1))
    except urllib.error.HTTPError as exc:
        with exc:
            return _response(exc.code, exc.headers or {}, exc.read(MAX_BYTES + 1))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise OidcError("provider_unreachable", f"{method} {url}: {exc}") from exc


def _response(status: int, headers, raw: bytes) -> Response:
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if len(raw) > MAX_BYTES:
        raise OidcError("provider_error", "response larger than 1 MiB")
    body = None
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
    return Response(status, body, content_type)
