"""Typed errors whose messages tell the user what to fix."""

from __future__ import annotations


class StorydeskError(Exception):
    """Base of every error storydesk raises on purpose; the CLI prints it as one line."""

    exit_code = 1


class InputError(StorydeskError):
    """The input (a file, a cluster, a flag) is wrong."""

    exit_code = 2


class ConfigError(StorydeskError):
    """A setting is missing or wrong."""

    exit_code = 3


class ModelError(StorydeskError):
    """The model could not be reached or used."""

    exit_code = 4


class ModelUnavailableError(ModelError):
    """The model server cannot be reached, refuses our credentials, or has no such model."""


class ModelOutputError(ModelError):
    """The model kept returning output that is not valid for the schema."""

    def __init__(self, message: str, usage: object = None, prompt: object = None) -> None:
        super().__init__(message)
        self.usage = usage
        """What the failed attempts cost (agent.llm.gateway.Usage)."""
        self.prompt = prompt


class PromptError(StorydeskError):
    """A prompt file is malformed or rendered without a variable it needs."""


class ClusterRefused(StorydeskError):
    """The cluster cannot be drafted as one story (e.g. it mixes unrelated events)."""

    exit_code = 5

    def __init__(self, message: str, groups: list[list[str]] | None = None) -> None:
        super().__init__(message)
        self.groups = groups or []
