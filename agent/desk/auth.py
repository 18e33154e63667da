"""Who is asking: bearer tokens for the API, a signed session cookie and CSRF tokens for pages."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from agent.store.users import UserRecord, Users, role_at_least

SESSION_COOKIE = "storydesk_session"
LOGIN_COOKIE = "storydesk_login"
SESSION_SECONDS = 12 * 3600


class AuthError(Exception):
    """Missing or bad credentials (401), or a role too low (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequired(Exception):
    """A page asked for without a session: send the browser to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Sessions:
    """Sign and read session cookies (user id + CSRF token) with the desk's shared secret."""

    def __init__(self, users: Users) -> None:
        self.users = users
        self._serializer = URLSafeTimedSerializer(users.secret("session"), salt="storydesk")

    def issue(self, user: UserRecord) -> str:
        """Return a cookie value for a fresh session."""
        return self._serializer.dumps({"uid": user.id, "csrf": secrets.token_urlsafe(24)})

    def read(self, value: str | None) -> dict[str, Any] | None:
        """Return the session a cookie holds, or None when absent, forged or expired."""
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def login_nonce(self) -> tuple[str, str]:
        """Return (cookie value, form value) guarding the login form against cross-site posts."""
        nonce = secrets.token_urlsafe(24)
        return self._serializer.dumps({"login": nonce}), nonce

    def check_login_nonce(self, cookie: str | None, form_value: str) -> bool:
        """Whether the login form's nonce matches the one its cookie was signed with."""
        if not cookie:
            return False
        try:
            data = self._serializer.loads(cookie, max_age=3600)
        except BadSignature:
            return False
        nonce = data.get("login", "") if isinstance(data, dict) else ""
        return hmac.compare_digest(str(nonce), form_value)


def bearer_user(request: Request, users: Users, role: str) -> UserRecord:
    """Return the token's user if its role suffices; raise AuthError otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(
            401,
            "send your token as `Authorization: Bearer TOKEN` (an admin creates one with "
            "`storydesk users add NAME --role ROLE`)",
        )
    user = users.authenticate(token.strip())
    if user is None:
        raise AuthError(401, "the token is unknown or revoked; ask an admin for a new one")
    if not role_at_least(user.role, role):
        raise AuthError(403, f"this needs the {role} role; {user.name} is a {user.role}")
    return user


def session_user(request: Request, sessions: Sessions, role: str) -> tuple[UserRecord, str]:
    """Return the logged-in user and the session's CSRF token, or send to the login page."""
    session = sessions.read(request.cookies.get(SESSION_COOKIE))
    user = sessions.users.by_id(int(session["uid"])) if session else None
    if session is None or user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if not role_at_least(user.role, role):
        raise AuthError(403, f"this needs the {role} role; {user.name} is a {user.role}")
    return user, str(session["csrf"])


def check_csrf(request: Request, expected: str, given: str | None) -> None:
    """Refuse a state-changing form post that did not come from our own page."""
    origin = request.headers.get("origin")
    if origin and origin not in ("null",):
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise AuthError(403, f"cross-site form post from {origin} refused")
    if not given or not hmac.compare_digest(expected, given):
        raise AuthError(403, "the form is stale or came from another site; reload the page")
