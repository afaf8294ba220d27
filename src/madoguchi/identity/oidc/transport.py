"""HTTP to the provider with requests: bounded in time and size, never following redirects.

No redirects: an OpenID endpoint that redirects is misconfigured or hijacked, and following it
would carry the authorization code or an access token somewhere else. Network failures become
`OidcError("provider_unreachable")`; HTTP error statuses are returned for the caller to judge,
because what a 400 means depends on the endpoint. The token endpoint goes through Authlib's
session (endpoints.py), which is a requests session too, with the same rules passed per call.
"""

import json
from dataclasses import dataclass

import requests

from madoguchi.identity.oidc.errors import OidcError

MAX_BYTES = 1024 * 1024
USER_AGENT = "madoguchi-oidc/2"
# Raised by requests for a network failure, a time-out or an unusable URL.
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.TooManyRedirects,
                  requests.exceptions.InvalidURL, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class Response:
    status: int
    body: object  # the decoded JSON, or None when the body was not JSON
    content_type: str
    text: str = ""  # the raw body, for a JWE (application/jose)


def request(url: str, *, method: str = "GET", form: dict | None = None,
            json_body: dict | None = None, headers: dict | None = None,
            timeout: float = 10.0) -> Response:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise OidcError("provider_error", f"refusing non-HTTP URL {url!r}")
    all_headers = {"Accept": "application/json, application/jose", "User-Agent": USER_AGENT,
                   **(headers or {})}
    try:
        with requests.request(method, url, data=form, json=json_body, headers=all_headers,
                              timeout=timeout, allow_redirects=False, stream=True) as resp:
            raw = resp.raw.read(MAX_BYTES + 1, decode_content=True)
            content_type = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            status = resp.status_code
    except NETWORK_ERRORS as exc:
        raise OidcError("provider_unreachable", f"{method} {url}: {type(exc).__name__}") from exc
    except (requests.RequestException, OSError) as exc:
        raise OidcError("provider_unreachable", f"{method} {url}: {exc}") from exc
    if len(raw) > MAX_BYTES:
        raise OidcError("provider_error", "response larger than 1 MiB")
    text = raw.decode("utf-8", "replace")
    body = None
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = json.loads(text)
        except ValueError:
            body = None
    return Response(status, body, content_type, text)
