"""Reading the authorization response from the URL the browser was sent back to.

The user pastes the whole redirect URL (Binder, remote kernels) or a local listener captures
it. Parameters come from the fragment (`code id_token` answers there by default) or the query;
a JARM response (`response=<JWT>`) is verified and its claims become the parameters. Then:
`state` must be the one we sent, `iss` (RFC 9207) must be the issuer when present - and is
required when the server advertises `authorization_response_iss_parameter_supported`, unless
the response carries its issuer in a signed form (an ID token or a JARM JWT) - and an
`error` becomes an `OAuthError`. Nothing here calls any endpoint except the JWKS.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import OAuthError, ResponseValidationError
from ..identity._formats import PrivateKey
from ..transport import safe_url
from ._idtoken import KeyLookup, check_time_claims, verify_signed

__all__ = [
    "check_issuer_parameter",
    "check_state",
    "raise_for_error",
    "read_redirect",
    "verify_jarm",
]


def read_redirect(redirect_url: str, *, redirect_uri: str) -> dict[str, str]:
    """The response parameters of a pasted redirect URL (fragment first, then query)."""
    url = redirect_url.strip()
    try:
        parts, expected = urlsplit(url), urlsplit(redirect_uri)
    except ValueError:
        raise ResponseValidationError(
            "The pasted text is not a URL urllib can read (a broken [IPv6] host?); paste the "
            "full address the browser was sent back to.",
            check="authorization_response.redirect_uri",
        ) from None
    if (parts.scheme, parts.netloc, parts.path) != (
        expected.scheme,
        expected.netloc,
        expected.path,
    ):
        raise ResponseValidationError(
            f"The pasted URL ({safe_url(url)}) does not start with this flow's redirect URI "
            f"({redirect_uri}); paste the full address the browser was sent back to.",
            check="authorization_response.redirect_uri",
        )
    fragment = _params(parts.fragment)
    query = {k: v for k, v in _params(parts.query).items() if k not in _params(expected.query)}
    params = fragment or query
    if not params:
        raise ResponseValidationError(
            "The pasted URL carries no authorization response (no code, error or response "
            "parameter in its query or fragment); copy the address after the consent page.",
            check="authorization_response.format",
        )
    return params


def _params(text: str) -> dict[str, str]:
    pairs = parse_qsl(text, keep_blank_values=True)
    names = [name for name, _ in pairs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ResponseValidationError(
            f"The authorization response repeats {', '.join(repeated)}; RFC 6749 forbids that.",
            check="authorization_response.format",
        )
    return dict(pairs)


def verify_jarm(
    response: str,
    *,
    issuer: str,
    client_id: str,
    algorithms: tuple[str, ...],
    keys: KeyLookup,
    decryption_key: PrivateKey | None,
    now: float,
    leeway: float,
) -> dict[str, str]:
    """Verify a JARM response JWT and return its authorization-response parameters."""
    claims, _ = verify_signed(
        response, what="jarm", algorithms=algorithms, keys=keys, decryption_key=decryption_key
    )
    if claims.get("iss") != issuer:
        shown = claims.get("iss")
        raise ResponseValidationError(
            f"The JARM response's iss is {shown!r}, not the issuer {issuer!r}.", check="jarm.iss"
        )
    aud = claims.get("aud")
    if client_id not in ([aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []):
        raise ResponseValidationError(
            f"The JARM response is addressed to {aud!r}, not this client ({client_id!r}).",
            check="jarm.aud",
        )
    check_time_claims(claims, now=now, leeway=leeway, what="jarm")
    return {
        k: str(v) for k, v in claims.items() if isinstance(v, str | int) and k not in {"aud", "exp"}
    }


def check_state(params: Mapping[str, str], expected: str) -> None:
    """`state` must be present and equal to the one we sent (constant-time compare)."""
    found = params.get("state")
    if found is None:
        raise ResponseValidationError(
            "The authorization response has no state; it may not answer this request (CSRF?). "
            "Start again with client.authorize(...).",
            check="state",
        )
    if not hmac.compare_digest(found.encode(), expected.encode()):
        raise ResponseValidationError(
            "The authorization response's state is not the one this request sent; it belongs "
            "to another request (or an attacker's). Start again with client.authorize(...).",
            check="state",
        )


def check_issuer_parameter(params: Mapping[str, Any], *, issuer: str, required: bool) -> None:
    """RFC 9207: a present `iss` must equal the issuer exactly; absent only when allowed."""
    found = params.get("iss")
    if found is None:
        if required:
            raise ResponseValidationError(
                "The authorization response has no iss parameter, but the server advertises "
                "authorization_response_iss_parameter_supported; it may come from another "
                "server (mix-up attack).",
                check="iss",
            )
        return
    if found != issuer:
        raise ResponseValidationError(
            f"The authorization response comes from issuer {found!r}, not {issuer!r} "
            "(mix-up attack?); the code is not redeemed.",
            check="iss",
        )


def raise_for_error(params: Mapping[str, str]) -> None:
    """An `error` response (access_denied, ...) becomes an `OAuthError`."""
    error = params.get("error")
    if error is None:
        return
    description = params.get("error_description")
    hint = (
        " The user declined or the consent was not authorised." if error == "access_denied" else ""
    )
    raise OAuthError(
        f"The authorization server answered error={error!r}"
        + (f": {description}" if description else "")
        + f".{hint}",
        error=error,
        error_description=description,
    )
