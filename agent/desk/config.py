"""The desk's own knobs (leases, attempts, backoff), read from STORYDESK_DESK_* variables."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeskSettings(BaseSettings):
    """How long a worker holds a job, how often it is retried, how often the reaper looks."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        validation_alias=AliasChoices("STORYDESK_DESK_LEASE_SECONDS", "lease_seconds"),
    )
    """A running job is the worker's while its lease lasts; renewed every third of it."""
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        validation_alias=AliasChoices("STORYDESK_DESK_MAX_ATTEMPTS", "max_attempts"),
    )
    """Attempts at a job before it is failed with its reason."""
    backoff_seconds: float = Field(
        default=10.0,
        ge=0,
        validation_alias=AliasChoices("STORYDESK_DESK_BACKOFF_SECONDS", "backoff_seconds"),
    )
    """Wait before the second attempt; doubled for each attempt after it."""
    reap_seconds: float = Field(
        default=15.0,
        gt=0,
        validation_alias=AliasChoices("STORYDESK_DESK_REAP_SECONDS", "reap_seconds"),
    )
    """How often each worker's reaper looks for expired leases and forgotten queued jobs."""
    requeue_seconds: float = Field(
        default=60.0,
        gt=0,
        validation_alias=AliasChoices("STORYDESK_DESK_REQUEUE_SECONDS", "requeue_seconds"),
    )
    """A queued job whose id was sent this long ago and not taken is sent again (the queue may
    have lost it: huey forgets a message its consumer was killed holding)."""
