"""Schema validity and cost of drafting.

- `schema_validity` = stories that validate against the Story schema ÷ drafts attempted
  (a draft that fails with invalid model output counts as invalid; a cluster the agent refuses
  as mixed is left out of the denominator and counted in `refused`). A returned Story is
  re-validated from its own JSON so serialisation problems count too.
- `seconds_per_story`: wall-clock seconds per drafted story (measured by the runner around the
  call; `model_seconds_per_story` is what the story's provenance reports).
- `tokens_per_story`: prompt + completion tokens per story from its provenance (cached model
  responses cost 0 tokens, so compare runs with the same cache state, or run with --no-cache).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from agent.schemas import Story


def schema_valid(story: Story) -> tuple[bool, str | None]:
    """Whether the story survives a JSON round-trip through the Story schema, and why not."""
    try:
        Story.model_validate_json(story.model_dump_json())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return False, f"{where}: {first['msg']}"
    return True, None


def cost(story: Story, seconds: float) -> dict[str, Any]:
    """Seconds and tokens one story took."""
    tokens = story.provenance.tokens
    return {
        "seconds": seconds,
        "model_seconds": story.provenance.seconds,
        "prompt_tokens": tokens.prompt,
        "completion_tokens": tokens.completion,
        "tokens": tokens.prompt + tokens.completion,
    }
