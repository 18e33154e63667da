"""Static output models whose `Choice` fields name each call's ids in the schema sent."""

from __future__ import annotations

from typing import Any, Literal, get_type_hints

import pytest
from pydantic import BaseModel, Field, ValidationError, create_model

from agent.checks.drafts import FlagData, flag
from agent.llm.gateway import Choice, output_schema
from agent.nodes.impact import ImpactDraft
from agent.nodes.summary import SummaryDraft
from agent.nodes.timeline import TimelineDraft
from agent.schemas import Flag


def _literal_summary(ids: list[str]) -> type[BaseModel]:
    """The summary schema as a model built at run time with a Literal of the ids."""
    one_of: Any = Literal.__getitem__(tuple(ids))
    item: Any = create_model(
        "SummaryItem",
        citations=(list[one_of], Field(min_length=1, max_length=3)),
        text=(str, Field(min_length=1, max_length=320)),
    )
    return create_model("SummaryDraft", sentences=(list[item], Field(min_length=1, max_length=5)))


@pytest.mark.parametrize("ids", [["a1.s1"], ["a1.s1", "a2.s3"], ["a1.s1", "a2.s3", "a4.s1"]])
def test_the_schema_names_the_ids_as_a_literal_of_them_would(ids: list[str]) -> None:
    assert output_schema(SummaryDraft, ids) == _literal_summary(ids).model_json_schema()


def test_every_choice_field_of_the_drafts_is_limited() -> None:
    impact = output_schema(ImpactDraft, ["a1.s1", "a2.s3"])
    assert impact["$defs"]["PartyItem"]["properties"]["citations"]["items"]["enum"] == [
        "a1.s1",
        "a2.s3",
    ]
    timeline = output_schema(TimelineDraft, ["d1"])
    assert timeline["$defs"]["TimelineItem"]["properties"]["candidate"]["const"] == "d1"
    assert "x-choice" not in str(impact) + str(timeline)


def test_an_id_outside_the_choices_fails_as_a_literal_does() -> None:
    answer = {"sentences": [{"citations": ["a1.s1", "zz9"], "text": "Text."}]}
    with pytest.raises(ValidationError) as static:
        SummaryDraft.model_validate(answer, context={"choices": ["a1.s1", "a2.s3"]})
    with pytest.raises(ValidationError) as literal:
        _literal_summary(["a1.s1", "a2.s3"]).model_validate(answer)
    assert [(e["loc"], e["msg"]) for e in static.value.errors()] == [
        (e["loc"], e["msg"]) for e in literal.value.errors()
    ]
    ok = SummaryDraft.model_validate(
        {"sentences": [{"citations": ["a2.s3"], "text": "Text."}]}, context={"choices": ["a2.s3"]}
    )
    assert ok.sentences[0].citations == ["a2.s3"]


def test_no_choices_no_schema_to_send() -> None:
    with pytest.raises(ValueError, match="no choices"):
        output_schema(SummaryDraft, [])
    assert get_type_hints(TimelineDraft)  # static: nothing is built per call


def test_the_state_flag_has_the_flag_schema_fields() -> None:
    assert list(FlagData.__annotations__) == list(Flag.model_fields)
    made = flag("removed", "summary", "removed a sentence", 2)
    assert Flag.model_validate(made).model_dump() == made


def test_choice_without_choices_takes_any_string() -> None:
    class Pick(BaseModel):
        pick: Choice

    assert Pick.model_validate({"pick": "x"}).pick == "x"
    with pytest.raises(ValidationError):
        Pick.model_validate({"pick": 3})
