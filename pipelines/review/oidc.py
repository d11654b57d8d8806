"""Sign-in through the agency's OpenID Provider: authorisation code flow with PKCE (S256), Authlib.

The provider is found by discovery (``ISSUER/.well-known/openid-configuration``). Authlib keeps
``state``, ``nonce`` and the PKCE verifier in the session, exchanges the code at the token
endpoint, and verifies the ID token (signature against the provider's JWKS, issuer, audience,
expiry, nonce). What the review trusts is the pair (issuer, ``sub``): it is linked to a local
account (``paxshare review users add NAME --oidc-subject SUB ...``), which holds the roles, units,
country and language. A provider's user with no linked account is refused and logged.

    paxshare review serve --oidc-issuer https://idp.agency.example --oidc-client-id review \\
        --oidc-client-secret-file /etc/paxshare/oidc-secret [--oidc-name "CBSA sign-in"]
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["OIDCSettings", "OIDCRefused", "register", "verified_subject", "subject_of"]


class OIDCRefused(Exception):
    """The provider's answer could not be verified (state, code, token or ID token)."""


@dataclasses.dataclass(frozen=True)
class OIDCSettings:
    issuer: str
    client_id: str
    client_secret: str | None = None  # None: a public client (PKCE only)
    display_name: str = "your agency"
    scope: str = "openid profile email"

    def __post_init__(self):
        if not self.issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError(f"OpenID issuer {self.issuer!r} must be https (http only on loopback, for tests)")


def subject_of(issuer: str, sub: str) -> str:
    """The account link for a provider's subject: issuer and ``sub`` (unique only together)."""
    return f"{issuer.rstrip('/')} {sub}"


def register(app, settings: OIDCSettings):
    """Register the provider with Authlib's Flask client; returns the client."""
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    kwargs: dict[str, Any] = {"scope": settings.scope, "code_challenge_method": "S256"}
    if settings.client_secret is None:
        kwargs["token_endpoint_auth_method"] = "none"
    return oauth.register(
        "agency",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs=kwargs,
    )


def verified_subject(client, settings: OIDCSettings) -> tuple[str, dict]:
    """On the redirect back: exchange the code, verify the ID token; returns (subject link, claims)."""
    from authlib.common.errors import AuthlibBaseError
    from flask import request

    if request.args.get("error"):
        raise OIDCRefused(f"the provider answered {request.args.get('error')}: "
                          f"{request.args.get('error_description') or ''}".strip())
    try:
        token = client.authorize_access_token()
    except AuthlibBaseError as problem:
        raise OIDCRefused(getattr(problem, "description", None) or str(problem)) from None
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise OIDCRefused("no verified ID token in the provider's answer")
    issuer = str(claims.get("iss") or "")
    if issuer.rstrip("/") != settings.issuer.rstrip("/"):
        raise OIDCRefused(f"ID token from issuer {issuer!r}, expected {settings.issuer!r}")
    return subject_of(issuer, str(claims["sub"])), dict(claims)
