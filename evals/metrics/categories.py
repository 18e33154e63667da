"""The AllSides roundup `topic` mapped to the story page's categories, for category accuracy.

AllSides files each roundup under one topic of its own taxonomy (about 50 on the dev split). The
story page has 20 categories (agent.schemas.CATEGORIES). Each topic maps to the one category an
editor of the page would file such a story under, by what the topic is about, written before
any prediction was scored and not changed to fit one:

- the workings of government, parties, elections and contested domestic policy (immigration,
  guns, abortion, LGBT rights, speech, the census, the budget) are Politics;
- the pandemic and the FDA are Health; climate, energy and sustainability are Environment;
- other countries and foreign policy are International; jobs, prices and economic policy,
  housing costs, are Economy; cybersecurity is Technology;
- courts, police, the FBI and the Justice Department, violence, are Crime & Law;
- race, culture and media, and holidays, are Culture; sports Sports; food Food & Recipes;
  transportation Travel & Tourism; disasters General (a ferry capsizing is news of its own
  kind, not politics).

`category_accuracy` = stories whose category equals the mapped one ÷ stories whose topic is
mapped (an unmapped topic is left out and counted in `category_unmapped`).
"""

from __future__ import annotations

from agent.schemas import CATEGORIES

TOPIC_CATEGORY: dict[str, str] = {
    # Politics
    "Politics": "Politics",
    "Elections": "Politics",
    "US Senate": "Politics",
    "US House": "Politics",
    "US Congress": "Politics",
    "Voting Rights and Voter Fraud": "Politics",
    "Joe Biden": "Politics",
    "Donald Trump": "Politics",
    "White House": "Politics",
    "Republican Party": "Politics",
    "Democratic Party": "Politics",
    "Polarization": "Politics",
    "Immigration": "Politics",
    "Gun Control and Gun Rights": "Politics",
    "Abortion": "Politics",
    "LGBT Rights": "Politics",
    "Free Speech": "Politics",
    "US Census": "Politics",
    "Federal Budget": "Politics",
    "Domestic Policy": "Politics",
    "State Department": "Politics",
    "CIA": "Politics",
    "US Military": "Politics",
    # Health
    "Coronavirus": "Health",
    "Safety and Sanity During COVID-19": "Health",
    "FDA": "Health",
    "Healthcare": "Health",
    # Environment
    "Climate Change": "Environment",
    "Energy": "Environment",
    "Sustainability": "Environment",
    "Environment": "Environment",
    # International
    "Middle East": "International",
    "World": "International",
    "Europe": "International",
    "China": "International",
    "Russia": "International",
    "Foreign Policy": "International",
    # Economy
    "Economy and Jobs": "Economy",
    "Economic Policy": "Economy",
    "Housing and Homelessness": "Economy",
    # Technology
    "Cybersecurity": "Technology",
    "Technology": "Technology",
    # Crime & Law
    "Supreme Court": "Crime & Law",
    "Justice Department": "Crime & Law",
    "FBI": "Crime & Law",
    "Violence in America": "Crime & Law",
    "Criminal Justice": "Crime & Law",
    # Culture
    "Culture": "Culture",
    "Race and Racism": "Culture",
    "Media Bias": "Culture",
    "Holidays": "Culture",
    # Others
    "Sports": "Sports",
    "Food": "Food & Recipes",
    "Transportation": "Travel & Tourism",
    "Disaster": "General",
    "Education": "Education",
    "Religion and Faith": "Religion",
}

assert set(TOPIC_CATEGORY.values()) <= set(CATEGORIES), "a mapped category is not on the page"


def expected_category(topic: object) -> str | None:
    """The page category an AllSides topic maps to, or None for an unmapped topic."""
    return TOPIC_CATEGORY.get(str(topic)) if topic else None
