"""Loaded wording: words that judge rather than report.

A drafted claim may not add such a word that its evidence does not use (the fact-check holds
it as unsupported); where the sources themselves use one, the story attributes it. The list is
the project's own, drawn from the kinds of words media-bias annotators mark (emotive verbs of
saying, insults, exaggeration, labels).
"""

from __future__ import annotations

import re

from agent.checks.text import normalize

LOADED_WORDS = frozenset(
    """
    slammed slams slamming blasted blasts blasting lashed ripped rips torched shredded
    radical radicals extremist extremists far-left far-right ultra-left ultra-right
    disastrous catastrophic shocking shocked outrageous outrage outraged chaos chaotic horrific
    horrifying horrendous devastating brutal brutally draconian reckless recklessly disgraceful
    shameful shameless absurd ridiculous bizarre insane crazy unhinged lunatic deranged thug
    thugs mob regime propaganda hoax scam sham cronies crony puppet tyranny tyrannical
    dictator dictatorial fascist fascists racist racists bigot bigoted bigotry xenophobic
    misogynist misogynistic hateful vile evil corrupt crooked disgusting pathetic stunning
    stunningly bombshell embattled so-called notorious infamous ruthless heroic villain
    villains obliterated obliterate annihilated crushing humiliating humiliated meltdown
    tirade rant ranted fumed gloated whined mocked smear smeared baseless rigged woke
    snowflake snowflakes elitist globalist globalists warmonger warmongering doomed
    slaughter slaughtered lies liar liars blatant blatantly egregious despicable atrocious
    scathing furious fury triumphant triumph debacle fiasco nightmare
    """.split()
)
_PHRASES = ("witch hunt", "cut and run", "illegal aliens", "death panel", "job-killing")
_WORD = re.compile(r"[a-z][a-z\-]*[a-z]")


def loaded_words(text: str) -> list[str]:
    """Return the loaded words and phrases the text uses, in order, lowercased."""
    lower = normalize(text).lower()
    found = [w for w in _WORD.findall(lower) if w in LOADED_WORDS]
    found += [p for p in _PHRASES if p in lower]
    return list(dict.fromkeys(found))
