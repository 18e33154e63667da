"""storydesk: neutral, fact-checked news stories from clusters of articles."""

from agent.api import StoryAgent, adraft_story, draft_story, resume_review
from agent.nodes.review import ReviewDecision
from agent.schemas import Article, Cluster, Story, load_cluster

__all__ = [
    "Article",
    "Cluster",
    "ReviewDecision",
    "Story",
    "StoryAgent",
    "adraft_story",
    "draft_story",
    "load_cluster",
    "resume_review",
]
