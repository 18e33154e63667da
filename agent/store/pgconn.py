"""PostgreSQL connections that cannot hang: every round trip to the server is bounded.

libpq's `connect_timeout` bounds the connection handshake, and TCP keepalives with
`tcp_user_timeout` let the kernel drop a connection whose peer vanished from the network. None
of them notices a server that has stopped answering while its host still acknowledges the
bytes (a stopped process, a wedged proxy): the socket stays healthy and a query waits forever.
`BoundedConnection` therefore also gives each wait for the server's answer a deadline; past it,
the connection is dropped (the server rolls back whatever it held open) and the operation fails
with an `OperationalError`, which SQLAlchemy and the connection pool treat as a lost connection
and replace on the next use."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors
from psycopg.abc import RV, PQGen

KEEPALIVE_IDLE_SECONDS = 10
"""Idle seconds before the kernel probes a pooled connection's peer."""
KEEPALIVE_INTERVAL_SECONDS = 3
KEEPALIVE_COUNT = 3
"""Unanswered probes after which the connection is dropped (a silent peer is noticed in about
KEEPALIVE_IDLE + KEEPALIVE_INTERVAL x KEEPALIVE_COUNT = 19 seconds)."""


def libpq_params(connect_timeout: int, query_timeout: float | None) -> dict[str, Any]:
    """The libpq connection parameters that bound a connection: the handshake, keepalives,
    and (with a query timeout) how long sent data may stay unacknowledged."""
    params: dict[str, Any] = {
        "connect_timeout": max(2, int(connect_timeout)),  # libpq treats 1 as 2
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE_SECONDS,
        "keepalives_interval": KEEPALIVE_INTERVAL_SECONDS,
        "keepalives_count": KEEPALIVE_COUNT,
    }
    if query_timeout:
        params["tcp_user_timeout"] = int(query_timeout * 1000)
    return params


class ServerSilent(errors.OperationalError):
    """PostgreSQL did not answer within the query timeout; the connection was dropped."""


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends after `query_timeout` s."""

    query_timeout: float | None = None
    """Seconds one round trip may wait for the server; None waits as long as it takes."""

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        bound = self.query_timeout if timeout is None else None
        if not bound:
            return super().wait(gen, interval=interval, timeout=timeout)
        try:
            return super().wait(gen, interval=interval, timeout=bound)
        except errors.OperationalError as error:
            if type(error).__name__ != "_WaitTimeout":
                raise
            # The query is in flight and its answer may never come: the connection is of no
            # further use. Closing it drops the server's session and its open transaction.
            self.pgconn.finish()
            raise ServerSilent(
                f"the database server did not answer within {bound:g} s (STORYDESK_DB_TIMEOUT); "
                "the connection was dropped and the operation can be retried"
            ) from None
