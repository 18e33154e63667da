"""The public contracts: the cluster that comes in and the story that goes out.

Field names follow DESIGN.md; `storydesk schema` prints these models as JSON Schema.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from datetime import date as date_type
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from agent.errors import InputError

Lean = Literal["left", "lean-left", "center", "lean-right", "right", "mixed", "unrated"]
Side = Literal["left", "center", "right"]
Precision = Literal["day", "month", "year"]
Verdict = Literal["supported", "unsupported", "contradicted"]
Section = Literal["title", "summary", "timeline", "who_benefited", "who_impacted"]
FlagSection = Section | Literal["story", "sources"]
ReviewStatus = Literal["draft", "needs_review", "approved", "rejected", "published"]
Category = Literal[
    "General",
    "Top Stories",
    "Politics",
    "Business",
    "Economy",
    "Technology",
    "International",
    "Environment",
    "Science",
    "Sports",
    "Health",
    "Education",
    "Entertainment",
    "Lifestyle",
    "Culture",
    "Crime & Law",
    "Travel & Tourism",
    "Food & Recipes",
    "Fact Check",
    "Religion",
]
Sentiment = Literal["positive", "neutral", "negative"]

CATEGORIES: tuple[str, ...] = get_args(Category)

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
ArticleId = Annotated[str, Field(pattern=_ID_PATTERN, description="An article id of the cluster.")]
Citations = Annotated[list[ArticleId], Field(min_length=1, description="Article ids cited.")]


_PRECISIONS: dict[int, Precision] = {4: "year", 7: "month", 10: "day"}


def precision_of(date: str) -> Precision:
    """The precision a date is written with: YYYY is a year, YYYY-MM a month, else a day."""
    return _PRECISIONS.get(len(date), "day")


def side_of(lean: Lean | None) -> Side | None:
    """Map a lean to the side it counts for on the bias meter (None for mixed or unrated)."""
    if lean in ("left", "lean-left"):
        return "left"
    if lean in ("right", "lean-right"):
        return "right"
    if lean == "center":
        return "center"
    return None


def _aware(value: datetime) -> datetime:
    # A date without an offset is read as UTC so relative dates resolve the same everywhere.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- input


class Article(_Model):
    """One news article of a cluster."""

    id: ArticleId
    outlet: str = Field(min_length=1, description="The outlet's name as published.")
    title: str = Field(min_length=1)
    url: str | None = Field(
        default=None, description="Where the article was published (http or https)."
    )
    published_at: Annotated[datetime, AfterValidator(_aware)] = Field(
        description="ISO 8601 publication time; without an offset it is read as UTC."
    )
    text: str = Field(min_length=1, description="The article's body text.")
    lean: Lean | None = Field(
        default=None,
        description="The outlet's lean; without it the source registry decides.",
    )

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// address (or left out)")
        return value.strip()

    @field_validator("text", "title", "outlet")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class Cluster(_Model):
    """A cluster of articles about one event: the input of a draft."""

    id: str = Field(min_length=1, pattern=_ID_PATTERN)
    articles: list[Article] = Field(min_length=1)
    title: str | None = Field(default=None, description="An optional working title.")

    @model_validator(mode="after")
    def _unique_ids(self) -> Cluster:
        seen: set[str] = set()
        for index, article in enumerate(self.articles):
            if article.id in seen:
                raise ValueError(
                    f"article #{index + 1} repeats the id {article.id!r}; give every article "
                    "its own id"
                )
            seen.add(article.id)
        return self

    def article(self, article_id: str) -> Article:
        """Return the article with this id."""
        for article in self.articles:
            if article.id == article_id:
                return article
        raise KeyError(article_id)


def describe_validation_error(error: ValidationError, data: Any, source: str) -> str:
    """Turn a pydantic error on cluster input into lines naming the field and the article."""
    lines = []
    for item in error.errors():
        loc = list(item["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "articles" and isinstance(loc[1], int):
            index = loc[1]
            article_id = None
            if isinstance(data, dict):
                articles = data.get("articles")
                if isinstance(articles, list) and index < len(articles):
                    if isinstance(articles[index], dict):
                        article_id = articles[index].get("id")
            where = f"article #{index + 1}" + (f" (id {article_id!r})" if article_id else "")
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or "(the cluster)"
        message = item["msg"]
        prefix = f"{where}: " if where else ""
        lines.append(f"{source}: {prefix}field {field!r}: {message}")
    return "\n".join(lines)


def parse_cluster(data: Any, source: str = "cluster") -> Cluster:
    """Validate cluster data, raising InputError with one line per fault."""
    try:
        return Cluster.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, data, source)) from None


def load_cluster(path: str | Path) -> Cluster:
    """Read and validate a cluster JSON file."""
    from agent.files import read_text

    path = Path(path)
    text = read_text(path, "a cluster JSON file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    return parse_cluster(data, str(path))


# --------------------------------------------------------------------------- output


class SummarySentence(_Model):
    """One sentence of the neutral summary."""

    text: str = Field(min_length=1)
    citations: Citations


class TimelineEvent(_Model):
    """A dated event; the date has the precision the sources support."""

    date: str = Field(
        pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="YYYY, YYYY-MM or YYYY-MM-DD."
    )
    precision: Precision
    event: str = Field(min_length=1)
    citations: Citations

    @model_validator(mode="after")
    def _precision_matches(self) -> TimelineEvent:
        expected = precision_of(self.date)
        if expected != self.precision:
            raise ValueError(f"date {self.date!r} has {expected} precision, not {self.precision}")
        padded = self.date + {4: "-01-01", 7: "-01", 10: ""}[len(self.date)]
        try:
            date_type.fromisoformat(padded)
        except ValueError:
            raise ValueError(f"date {self.date!r} is not a calendar date") from None
        return self


class Party(_Model):
    """A party that benefited from or is impacted by the event."""

    party: str = Field(min_length=1)
    explanation: str = Field(min_length=1, description="How the party benefited or is impacted.")
    citations: Citations


class Distribution(_Model):
    """Percentages of rated articles by side; they sum to 100 when any article is rated."""

    left: float = Field(ge=0, le=100)
    center: float = Field(ge=0, le=100)
    right: float = Field(ge=0, le=100)


class Bias(_Model):
    """The media-bias meter, computed from the articles' leans."""

    sources: int = Field(ge=0, description="Distinct outlets.")
    articles: int = Field(ge=0, description="Articles counted (syndicated copies once).")
    left: int = Field(ge=0)
    center: int = Field(ge=0)
    right: int = Field(ge=0)
    unrated: int = Field(ge=0, description="Articles from mixed or unrated outlets.")
    distribution: Distribution


class CoverageItem(_Model):
    """One article as listed under a side's coverage."""

    article_id: ArticleId
    outlet: str
    title: str
    url: str | None = None
    duplicate_of: ArticleId | None = Field(
        default=None, description="Set when this is a syndicated copy of another article."
    )


class Coverage(_Model):
    """Every article of the cluster, grouped by its outlet's side."""

    left: list[CoverageItem] = Field(default_factory=list)
    center: list[CoverageItem] = Field(default_factory=list)
    right: list[CoverageItem] = Field(default_factory=list)
    unrated: list[CoverageItem] = Field(default_factory=list)


class Evidence(_Model):
    """A verbatim quote from an article."""

    article_id: ArticleId
    quote: str = Field(min_length=1)


class Claim(_Model):
    """A checked claim of one section of the story."""

    claim: str
    section: Section
    index: int = Field(ge=0, description="The item's position in its section.")
    verdict: Verdict
    evidence: list[Evidence] = Field(default_factory=list)
    note: str = ""


class Conflict(_Model):
    """Sources that disagree with each other on a fact."""

    about: str = Field(description="What the sources disagree on.")
    values: list[Evidence] = Field(min_length=2)
    note: str = ""


class FactCheck(_Model):
    """Verdicts on every claim, and conflicts between sources."""

    claims: list[Claim] = Field(default_factory=list)
    supported: int = 0
    unsupported: int = 0
    contradicted: int = 0
    conflicts: list[Conflict] = Field(default_factory=list)


class Flag(_Model):
    """Something an editor must look at before publishing."""

    kind: str = Field(description="e.g. unsupported, contradicted, fallback, conflict, evidence.")
    section: FlagSection
    index: int | None = None
    message: str


class Review(_Model):
    """The editorial state of the story."""

    status: ReviewStatus = "draft"
    flags: list[Flag] = Field(default_factory=list)
    reviewer: str | None = None
    notes: str = ""


class Tokens(_Model):
    """Model tokens spent."""

    prompt: int = 0
    completion: int = 0


class Provenance(_Model):
    """How the story was made."""

    backend: str
    model: str
    prompts: dict[str, str] = Field(description="prompt id -> 'version+sha256'.")
    article_ids: list[str]
    tokens: Tokens = Field(default_factory=Tokens)
    seconds: float = 0.0
    created_at: datetime
    thread_id: str | None = Field(
        default=None, description="The review thread to resume with the editor's decision."
    )


class Story(_Model):
    """A drafted story for an editor to review."""

    id: str
    cluster_id: str
    revision: int = Field(ge=1)
    title: str
    category: Category
    sentiment: Sentiment
    summary: list[SummarySentence]
    timeline: list[TimelineEvent]
    who_benefited: list[Party]
    who_impacted: list[Party]
    section_notes: dict[str, str] = Field(
        default_factory=dict,
        description="Per section, why it is short or empty (e.g. not enough evidence).",
    )
    bias: Bias
    coverage: Coverage
    blindspot: Side | None = None
    fact_check: FactCheck
    review: Review
    provenance: Provenance

    def citations(self) -> list[str]:
        """Return every citation of the story's sections, in order, repeats included."""
        items: list[SummarySentence | TimelineEvent | Party] = [
            *self.summary,
            *self.timeline,
            *self.who_benefited,
            *self.who_impacted,
        ]
        return [article_id for item in items for article_id in item.citations]

    def cited_ids(self) -> set[str]:
        """Return every article id the story's sections cite."""
        return set(self.citations())


SCHEMAS: dict[str, type[BaseModel]] = {"story": Story, "cluster": Cluster}
