"""Desk users and their bearer tokens; only a token's sha256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from agent.errors import InputError
from agent.store.models import DeskSecret, User, utcnow

USERS = cast(Table, User.__table__)
SECRETS = cast(Table, DeskSecret.__table__)
ROLES = ("viewer", "editor", "admin")
"""Each role can do what the ones before it can."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@'-]{0,99}$")


def hash_token(token: str) -> str:
    """Return the stored form of a token (hex sha256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def role_at_least(role: str, needed: str) -> bool:
    """Whether `role` may do what `needed` may."""
    return ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class UserRecord:
    """A desk user as the desk sees it (never the token)."""

    id: int
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None

    def as_json(self) -> dict[str, object]:
        """Return the user as JSON-able values."""
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


class Users:
    """Add, list, revoke and authenticate desk users."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, role: str) -> tuple[UserRecord, str]:
        """Create a user and return it with its new token (shown once, stored hashed)."""
        if role not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
        if not _NAME.match(name):
            raise InputError(
                f"user name {name!r}: use 1-100 letters, digits, spaces or ._@'- "
                "(starting with a letter or digit)"
            )
        token = "sd_" + secrets.token_urlsafe(32)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(USERS).values(
                        name=name, role=role, token_hash=hash_token(token), created_at=utcnow()
                    )
                )
        except IntegrityError:
            raise InputError(
                f"there is already a user {name!r}; revoke it first or choose another name"
            ) from None
        return self.get(name), token

    def get(self, name: str) -> UserRecord:
        """Return a user by name."""
        with self.engine.connect() as connection:
            row = connection.execute(select(USERS).where(USERS.c.name == name)).first()
        if row is None:
            raise InputError(f"no user {name!r}; list users with `storydesk users list`")
        return UserRecord(row.id, row.name, row.role, row.created_at, row.revoked_at)

    def by_id(self, user_id: int) -> UserRecord | None:
        """Return an active user by id (None when unknown or revoked)."""
        with self.engine.connect() as connection:
            row = connection.execute(select(USERS).where(USERS.c.id == user_id)).first()
        if row is None or row.revoked_at is not None:
            return None
        return UserRecord(row.id, row.name, row.role, row.created_at, row.revoked_at)

    def all(self) -> list[UserRecord]:
        """Return every user, revoked ones included, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(USERS).order_by(USERS.c.name)).all()
        return [UserRecord(r.id, r.name, r.role, r.created_at, r.revoked_at) for r in rows]

    def revoke(self, name: str) -> UserRecord:
        """Revoke a user's token (the row stays, for the record of who did what)."""
        with self.engine.begin() as connection:
            done = connection.execute(
                update(USERS)
                .where(USERS.c.name == name, USERS.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
        user = self.get(name)
        if not done and user.revoked_at is None:
            raise InputError(f"could not revoke {name!r}; try again")
        return user

    def authenticate(self, token: str) -> UserRecord | None:
        """Return the active user a token belongs to, or None."""
        digest = hash_token(token)
        with self.engine.connect() as connection:
            row = connection.execute(select(USERS).where(USERS.c.token_hash == digest)).first()
        # The lookup is by hash (a token's hash leaks nothing); the comparison is still made in
        # constant time so that no timing difference depends on how much of a hash matched.
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        if row.revoked_at is not None:
            return None
        return UserRecord(row.id, row.name, row.role, row.created_at, row.revoked_at)

    def secret(self, key: str) -> str:
        """Return a server secret shared by every replica, creating it on first use."""
        with self.engine.begin() as connection:
            value = connection.execute(select(SECRETS.c.value).where(SECRETS.c.key == key)).scalar()
            if value is not None:
                return str(value)
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(SECRETS).values(key=key, value=secrets.token_urlsafe(48)))
        except IntegrityError:
            pass  # another replica created it first; use theirs
        with self.engine.connect() as connection:
            return str(
                connection.execute(select(SECRETS.c.value).where(SECRETS.c.key == key)).scalar_one()
            )
