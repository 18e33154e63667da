"""The story graph: from a cluster of articles to a fact-checked story for review.

retrieve -> screen -> (draft_summary | extract_timeline | assess_impact | classify) -> fact_check
-> (revise -> fact_check)* -> settle -> assemble -> human_review (interrupt) -> finalize
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agent.context import Context
from agent.nodes.assemble import assemble
from agent.nodes.classify import classify
from agent.nodes.fact_check import fact_check
from agent.nodes.impact import assess_impact
from agent.nodes.retrieve import retrieve
from agent.nodes.review import finalize, human_review
from agent.nodes.revise import revise
from agent.nodes.screen import screen
from agent.nodes.settle import settle
from agent.nodes.summary import draft_summary
from agent.nodes.timeline import extract_timeline
from agent.routing import route_after_fact_check, route_after_review
from agent.state import InputState, OutputState, StoryState

DRAFTERS = ("draft_summary", "extract_timeline", "assess_impact", "classify")


def build_graph() -> StateGraph[StoryState, Context, InputState, OutputState]:
    """Wire the nodes; compile with a checkpointer to use the review interrupt."""
    builder = StateGraph(
        StoryState, input_schema=InputState, output_schema=OutputState, context_schema=Context
    )
    builder.add_node("retrieve", retrieve)
    builder.add_node("screen", screen)
    builder.add_node("draft_summary", draft_summary)
    builder.add_node("extract_timeline", extract_timeline)
    builder.add_node("assess_impact", assess_impact)
    builder.add_node("classify", classify)
    builder.add_node("fact_check", fact_check)
    builder.add_node("revise", revise)
    builder.add_node("settle", settle)
    builder.add_node("assemble", assemble)
    builder.add_node("human_review", human_review)
    builder.add_node("finalize", finalize)

    builder.add_edge(START, "retrieve")
    builder.add_edge("retrieve", "screen")
    for drafter in DRAFTERS:
        builder.add_edge("screen", drafter)
    # The four drafters run in one superstep; fact_check waits for all of them.
    builder.add_edge(list(DRAFTERS), "fact_check")
    builder.add_conditional_edges("fact_check", route_after_fact_check, ["revise", "settle"])
    builder.add_edge("revise", "fact_check")
    builder.add_edge("settle", "assemble")
    builder.add_edge("assemble", "human_review")
    builder.add_conditional_edges("human_review", route_after_review, ["human_review", "finalize"])
    builder.add_edge("finalize", END)
    return builder


# For `langgraph dev` (langgraph.json): its server supplies the checkpointer.
graph = build_graph().compile(name="storydesk")
