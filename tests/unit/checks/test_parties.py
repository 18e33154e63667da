"""Who gains and who loses in a sentence: read off its syntax, never invented."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.checks.parties import lemma, parties_in
from agent.checks.text import content_words, normalize


@pytest.mark.parametrize(
    ("sentence", "party", "polarity"),
    [
        # passive: the subject bears it
        ("Nine passengers were killed when a ferry capsized.", "passengers", "loss"),
        ("Workers could be fined up to 1,500 euros for failing to comply.", "Workers", "loss"),
        # active: the object bears it
        ("The storm killed at least 12 people in Florida.", "people in Florida", "loss"),
        ("The ruling protects renters from eviction.", "renters", "gain"),
        # the subject itself gains or loses
        ("Landlords will benefit from the Supreme Court decision.", "Landlords", "gain"),
        ("Okinawa residents would suffer, officials said.", "Okinawa residents", "loss"),
        # a title stays with its name, "of" inside a name too
        (
            "Menendez threatened to subpoena U.S. Defense Secretary Lloyd Austin.",
            "U.S. Defense Secretary Lloyd Austin",
            "loss",
        ),
        (
            "Secretary of State Antony Blinken faces the Senate committee.",
            "Secretary of State Antony Blinken",
            "loss",
        ),
        # a pronoun or a possessive stands for the party before it
        ("Fishing crews said they would lose access to the moorings.", "Fishing crews", "loss"),
        ("Homeowners said the barrier would protect their houses.", "Homeowners", "gain"),
        # a verb joined by "and" to a relative clause's verb has the relative's subject
        (
            "The Afghans who worked for the U.S. government and faced retaliation arrived Friday.",
            "Afghans",
            "loss",
        ),
        # a comparative object: more of a good is a gain, more of a burden a loss
        (
            "Defence manufacturers could see larger orders, analysts said.",
            "Defence manufacturers",
            "gain",
        ),
        ("Tenants will face higher costs next year.", "Tenants", "loss"),
        # states said with "to be"
        ("More than 150 residents are still missing after the collapse.", "residents", "loss"),
        ("Nearly 102,000 voters are at risk of losing their registrations.", "voters", "loss"),
        ("Low-income families will be eligible for the credit.", "Low-income families", "gain"),
        # rulings: in favour of, sided with, ruled against (a weekday is no place)
        ("The court ruled in favor of the landlords on Thursday.", "landlords", "gain"),
        ("The court sided with college players.", "college players", "gain"),
        ("A judge ruled against Google in the case.", "Google", "loss"),
        # nouns of gain or loss with their beneficiary
        ("The vote was a heavy blow to the Biden administration.", "Biden administration", "loss"),
        # a possessive names its owner: the effort is the administration's
        (
            "The votes were a heavy blow to the Biden administration's sweeping effort.",
            "Biden administration",
            "loss",
        ),
        ("It threw up a major hurdle for President Biden's plan.", "President Biden", "loss"),
        ("Wednesday's attacks on demonstrators will be investigated.", "demonstrators", "loss"),
        ("The pressure on renters is rising.", "renters", "loss"),
        # what did not happen is its opposite: not punished is spared
        ("The officer will not be disciplined, the department said.", "officer", "gain"),
        ("Republicans didn't win the seat.", "Republicans", "loss"),
        # ...but a loss its subject bears stays one
        ("Renters who could not pay their rent were evicted.", "Renters", "loss"),
        # what an undone measure did for someone is undone with it
        (
            "A judge vacated the moratorium established last year to protect renters.",
            "renters",
            "loss",
        ),
        ("A judge blocked a program protecting young immigrants.", "young immigrants", "loss"),
        ("Police blocked the road and arrested protesters.", "protesters", "loss"),  # no measure
        # "at risk" with no verb before it, and a people noun "of" a place
        (
            "The ruling struck down the ban, leaving millions of Americans at risk of eviction.",
            "Americans",
            "loss",
        ),
        ("The women of Texas are essentially banned from the procedure.", "women of Texas", "loss"),
        # giving: shared "with" its recipients
        ("The U.S. will share 20 million doses with poorer nations.", "poorer nations", "gain"),
        # an adverb after the recipient is not its noun; a figure with commas is one figure
        ("Biden will ship surplus doses to needy nations abroad.", "needy nations", "gain"),
        ("The state gave $1,400 to families in need.", "families", "gain"),
        ("Families were given vouchers for the trains.", "Families", "gain"),
        # withholding: the one a thing is denied to loses it, unless that is undone
        ("The agency denied benefits to veterans.", "veterans", "loss"),
        (
            "Biden rescinded an order that would have denied visas to immigrants.",
            "immigrants",
            "gain",
        ),
    ],
)
def test_the_party_is_the_one_the_syntax_names(sentence: str, party: str, polarity: str) -> None:
    found = {(f.party, f.polarity) for f in parties_in(sentence)}
    assert (party, polarity) in found, found


@pytest.mark.parametrize(
    "sentence",
    [
        "The city museum reopened its east wing on Friday after a renovation.",
        "The panel rejected a plan Friday to give boosters to most adults.",  # no "Plan Friday"
        "The talks lasted about 50 minutes, a Japanese official said.",
    ],
)
def test_no_party_where_none_gains_or_loses(sentence: str) -> None:
    assert all("Friday" not in f.party for f in parties_in(sentence))
    if "museum" in sentence or "talks" in sentence:
        assert parties_in(sentence) == []


def test_a_bare_people_is_not_specific_but_a_qualified_one_is() -> None:
    (bare,) = parties_in("Nine people were killed when a ferry capsized.")
    assert bare.party == "Nine people" and not bare.specific  # the count says who they are
    (counted,) = parties_in("At least 12 people were killed when a passenger ferry capsized.")
    assert counted.party == "At least 12 people"
    (uncounted,) = parties_in("People were hurt when the roof fell.")
    assert uncounted.party == "People"
    (qualified,) = parties_in("The storm killed 12 people in Florida.")
    assert qualified.specific
    (upto,) = parties_in("Up to 500 people were evacuated from the valley.")
    assert upto.party == "Up to 500 people"
    (given,) = parties_in("The drug will give hope to millions of people.")
    assert given.party == "millions of people"  # the "to" of giving is no part of the count


def test_inflections_find_their_verb() -> None:
    assert [lemma(w) for w in ("evicted", "barred", "dying", "won", "criticised", "allows")] == [
        "evict",
        "bar",
        "die",
        "win",
        "criticize",
        "allow",
    ]
    assert lemma("said") is None and lemma("Evicted".lower()) == "evict"


WORDS = st.sampled_from(
    "the a residents workers Renters were was killed protects lost benefit from said they "
    "their houses Pete Hegseth U.S. Defense Secretary of State and in Okinawa people nine "
    "could see larger orders face higher costs , . victims blow to".split()
)


@given(st.lists(WORDS, min_size=1, max_size=18))
def test_every_party_is_a_span_of_its_sentence(tokens: list[str]) -> None:
    sentence = " ".join(tokens)
    for found in parties_in(sentence):
        assert found.party in normalize(sentence)
        assert set(content_words(found.party)) <= set(content_words(sentence))
