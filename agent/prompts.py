"""Versioned prompt files: front matter, named variables, fail-fast rendering.

A prompt file looks like this::

    ---
    id: summary
    version: 2
    inputs: [today, evidence]
    ---
    === system ===
    ... {{evidence}} ...
    === user ===
    ...

A body is a sequence of `=== system ===`, `=== user ===` and `=== assistant ===` sections. The
graph's task prompts (summary, timeline, impact, classify) hold only their `=== user ===` turn:
the nodes put the shared prefix of `prefix.md` (instructions and the numbered evidence) before
it, so llama.cpp and hosted prompt caches reuse that prefix across the graph's nodes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from agent.errors import PromptError

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SECTION = re.compile(r"^=== (system|user|assistant) ===\s*$", re.MULTILINE)


def prompts_dir() -> Path:
    """Return the directory the prompt files load from (inside the wheel, or the checkout)."""
    packaged = resources.files("agent") / "prompts"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "prompts"
    if checkout.is_dir():
        return checkout
    raise PromptError(
        "the prompt files are missing: reinstall storydesk (`pip install .`), which ships them"
    )


@dataclass(frozen=True)
class Message:
    role: str
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class RenderedPrompt:
    """The messages of one rendered prompt, with what provenance needs."""

    id: str
    version: str
    template_sha256: str
    messages: tuple[Message, ...]

    @property
    def sha256(self) -> str:
        """Hash of the rendered messages (what the model actually saw)."""
        digest = hashlib.sha256()
        for message in self.messages:
            digest.update(message.role.encode())
            digest.update(b"\0")
            digest.update(message.content.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    @property
    def label(self) -> str:
        """`version+sha256` of the template, as provenance records it."""
        return f"{self.version}+{self.template_sha256}"

    def as_messages(self) -> list[dict[str, str]]:
        return [message.as_dict() for message in self.messages]


@dataclass(frozen=True)
class Prompt:
    """A prompt template loaded from a file."""

    id: str
    version: str
    inputs: tuple[str, ...]
    body: str
    path: Path
    sha256: str
    """Hash of the file's text, taken when it was read (not re-read at every render)."""

    @property
    def label(self) -> str:
        """`version+sha256`, as provenance records it."""
        return f"{self.version}+{self.sha256}"

    def variables(self) -> set[str]:
        return set(_VARIABLE.findall(self.body))

    def render(self, **values: Any) -> RenderedPrompt:
        """Fill the variables; raise PromptError when one is missing or unexpected."""
        needed = self.variables()
        missing = sorted(needed - values.keys())
        if missing:
            raise PromptError(
                f"prompt {self.id!r} ({self.path.name}) needs {', '.join(missing)}; "
                "pass them when rendering"
            )
        extra = sorted(values.keys() - needed)
        if extra:
            raise PromptError(f"prompt {self.id!r} does not use {', '.join(extra)}")
        # Split into messages before filling: a value (an article's text) cannot open a role.
        messages = tuple(
            Message(m.role, _VARIABLE.sub(lambda v: str(values[v.group(1)]), m.content))
            for m in _split_messages(self.body, self)
        )
        return RenderedPrompt(self.id, self.version, self.sha256, messages)


def _split_messages(text: str, prompt: Prompt) -> tuple[Message, ...]:
    parts = _SECTION.split(text)
    if len(parts) < 3 or parts[0].strip():
        raise PromptError(
            f"{prompt.path}: the body must start with a '=== system ===', '=== user ===' or "
            "'=== assistant ===' line"
        )
    return tuple(
        Message(role, content.strip())
        for role, content in zip(parts[1::2], parts[2::2], strict=True)
    )


def parse_prompt(text: str, path: Path) -> Prompt:
    """Parse a prompt file's front matter and body."""
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.DOTALL)
    if not match:
        raise PromptError(f"{path}: a prompt file starts with '---' front matter")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise PromptError(f"{path}: front matter is not YAML ({error})") from None
    for key in ("id", "version"):
        if key not in meta:
            raise PromptError(f"{path}: front matter lacks {key!r}")
    prompt = Prompt(
        id=str(meta["id"]),
        version=str(meta["version"]),
        inputs=tuple(meta.get("inputs") or ()),
        body=match.group(2),
        path=path,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    declared, used = set(prompt.inputs), prompt.variables()
    if declared and declared != used:
        raise PromptError(
            f"{path}: inputs {sorted(declared)} do not match the variables used {sorted(used)}"
        )
    return prompt


@cache
def load_prompt(prompt_id: str) -> Prompt:
    """Load `prompts/<prompt_id>.md`."""
    path = prompts_dir() / f"{prompt_id}.md"
    if not path.is_file():
        raise PromptError(
            f"no prompt file {path}; the prompt ids are the file names in {path.parent}"
        )
    return parse_prompt(path.read_text(encoding="utf-8"), path)
