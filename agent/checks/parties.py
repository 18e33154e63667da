"""Who gains and who loses in a sentence: the subject or object of a gain or loss verb.

A shallow reading of the sentence's syntax, with no tagger: the verb group around a cue verb
says its voice ("were killed", "will be evicted": the subject bears it; "the ruling protects
renters": the object does), and the party is the noun phrase in that place, read off the
sentence as written: a run of capitalised words kept whole with its titles ("U.S. Defense
Secretary Pete Hegseth"), or a noun phrase whose head names people or an organisation
("port workers in Trieste"). Every party is a span of its sentence, so its words are there.

What did not happen is its opposite ("will not be disciplined" spares the officer, "did not
win" is a loss), except a loss its subject bears ("could not pay"); what an undone measure did
is undone with it ("vacated the moratorium established to protect renters" is the renters'
loss).

The lexicon is small and closed: about 130 verbs of gain, loss or giving, each with the role that
bears it, and the head nouns that name people or organisations. Words were added from the
misses of the training folds only, and kept only where the folds' mean rose;
evals/extractive.py scores the result on held-out folds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.checks.dates import MONTHS, WEEKDAYS
from agent.checks.text import NUMBER_WORDS, content_words, normalize

Polarity = Literal["gain", "loss"]


def names_party(party: str, text: str) -> bool:
    """True when the text names the party: every content word of it longer than two letters
    occurs in the text. The one rule for "a party is named in its evidence": the extractor, the
    impact node, the fact-check and the evals all ask it."""
    words_of_party = [w for w in content_words(party) if len(w) > 2]
    found = set(content_words(text))
    return bool(words_of_party) and all(w in found for w in words_of_party)


# Verbs by what their subject or object undergoes. "object": in the active voice the object
# gains or loses ("killed nine people", "protects renters"), in the passive the subject does
# ("nine people were killed"). "subject": the subject itself gains or loses ("renters lost",
# "landlords benefit from").
Role = Literal["subject", "object"]
_LEXICON: tuple[tuple[Polarity, Role, str], ...] = (
    # The subject loses, bears or pays.
    ("loss", "subject", "die lose suffer struggle face pay resign flee"),
    # Harm, punishment, blame and constraint: the object bears it.
    (
        "loss",
        "object",
        "kill injure wound hurt harm evict fine ban bar sanction displace strand arrest "
        "charge sue fire threaten deport detain jail convict penalize oust expel endanger "
        "discipline deny require force accuse blame criticize condemn indict investigate probe "
        "attack target hit strike punish restrict prevent block impeach subpoena reject "
        "defeat shoot hospitalize stop affect overwhelm",
    ),
    # The subject gains, wins or comes through.
    ("gain", "subject", "gain win receive secure earn profit survive avoid get obtain regain"),
    # Those who welcome an outcome count it a gain; those who protest it bear it.
    ("gain", "subject", "welcome hail applaud celebrate cheer"),
    ("loss", "subject", "protest oppose decry denounce slam mourn complain"),
    # Help, permission, reward and favour: the object gains it.
    (
        "gain",
        "object",
        "help protect aid boost save rescue free release award grant spare shield acquit "
        "pardon exempt clear exonerate compensate reward favor allow enable permit elect appoint "
        "nominate confirm endorse back praise support reinstate evacuate resettle",
    ),
)
_LEMMAS: dict[str, tuple[Polarity, Role]] = {
    verb: (polarity, role) for polarity, role, verbs in _LEXICON for verb in verbs.split()
}
# States of loss said with "to be": "are missing", "was left homeless".
_LOSS_STATES = frozenset("missing dead homeless unemployed trapped".split())
# And of gain: "are eligible for", "will be able to".
_GAIN_STATES = frozenset("eligible able entitled".split())
# Nouns that say a gain or a loss for someone: "a blow to the administration", "a victory for
# Democrats", "relief for renters". The party is the noun phrase after "for", "to" or "on".
_NOUNS: dict[str, Polarity] = {
    **dict.fromkeys(
        "victory win boost relief windfall reprieve lifeline boon opportunity "
        "opportunities".split(),
        "gain",
    ),
    **dict.fromkeys(
        "blow setback defeat loss hurdle threat risk burden rebuke cost attack attacks pressure "
        "sanctions crackdown tariffs charges criticism".split(),
        "loss",
    ),
}
# Verbs that give a thing to someone: the one it goes "to" or is "for" gains it
# ("approved boosters for people 65 and older", "gave $1,400 to families").
_GIVING = frozenset(
    "give provide offer extend grant award approve authorize recommend send deliver ship donate "
    "share".split()
)
# And verbs that withhold it: the one it is withheld from ("to", "for") loses it.
_WITHHOLDING = frozenset("deny refuse withhold".split())
_IRREGULAR = {
    "withheld": "withhold",
    "gave": "give",
    "given": "give",
    "sent": "send",
    "lost": "lose",
    "won": "win",
    "paid": "pay",
    "fled": "flee",
    "struck": "strike",
    "died": "die",
    "dying": "die",
    "shot": "shoot",
    "hurt": "hurt",
    "hit": "hit",
}
_BRITISH = {"penalise": "penalize", "criticise": "criticize", "favour": "favor"}


def lemma(token: str) -> str | None:
    """The lexicon's verb this token inflects, if any ("evicted" -> "evict")."""
    word = token.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    guesses = [word]
    for suffix, add in (
        ("ies", "y"),
        ("ied", "y"),
        ("es", ""),
        ("s", ""),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
        ("ing", ""),
        ("ing", "e"),
    ):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            base = word[: -len(suffix)] + add
            guesses.append(base)
            if len(base) > 3 and base[-1] == base[-2]:
                guesses.append(base[:-1])  # "barred" -> "bar"
    for guess in guesses:
        guess = _BRITISH.get(guess, guess)
        if guess in _LEMMAS or guess in _GIVING or guess in _WITHHOLDING:
            return guess
    return None


# "benefit" is both: "renters benefit (from)" and "the ruling benefits renters".
_DUAL = "benefit"

# Heads of a noun phrase that names people or an organisation.
PEOPLE = frozenset(
    """
    people person residents resident workers worker employees employee staff passengers
    households adults kids teenagers interpreters nationals nations
    survivors families family children child students parents teachers patients doctors
    nurses voters citizens taxpayers consumers customers renters tenants landlords homeowners
    owners businesses companies company firms firm manufacturers producers farmers retailers
    investors shareholders banks bank lenders borrowers migrants immigrants refugees
    protesters demonstrators troops soldiers veterans police officers officer officials
    lawmakers legislators democrats republicans women men seniors retirees unions union
    travelers travellers crew crews drivers users members communities victims hospitals
    schools universities states cities countries allies industry government administration
    agency court military army navy minister president governor mayor senator leader leaders
    party opposition authorities council board committee providers contractors players team
    athletes fans applicants recipients beneficiaries defendants suspects prisoners inmates
    detainees hostages civilians journalists reporters pilots sailors fishermen miners
    group groups casualties evacuees winners wife husband son daughter mother father widow
    """.split()
)
# People nouns that name a gain or a loss by themselves: "gunshot victims", "the evacuees".
_ROLES: dict[str, Polarity] = {
    **dict.fromkeys("victims casualties evacuees hostages".split(), "loss"),
    **dict.fromkeys("winners beneficiaries recipients".split(), "gain"),
}

_CALENDAR = frozenset(MONTHS) | frozenset(WEEKDAYS)
_TIME = frozenset("last next this yesterday today tonight tomorrow earlier later".split())
# Heads that say no more than that someone was there.
_GENERIC = frozenset("people person others someone anyone".split())
_BE = frozenset("is are was were be been being get gets got getting gotten".split())
_AUX = frozenset(
    "will would could can may might must shall should has have had not never also already "
    "reportedly likely still just now allegedly".split()
)
_DETERMINERS = frozenset(
    "the a an this that these those its their his her our some many several all both most "
    "million billion thousand hundred "
    "more than at least nearly about almost around over dozens hundreds thousands "
    "millions of scores".split()
) | frozenset(NUMBER_WORDS)
# Words that end a noun phrase read leftwards or rightwards: function words and punctuation.
_STOP = frozenset(
    """
    a an the and or but of in on at for by with to from as that which who whom whose than
    about after before when while because if is are was were be been being has have had do
    does did will would could can may might must shall should not no it its they them he him
    she her we us i you said says told say also there here this these those what where how
    why then so such very just into onto over under up down out off against between during
    without within amid
    """.split()
)
# Initialisms ("U.S."), abbreviated titles before a name ("Gov. Andrew Cuomo"), words, marks.
# Figures with thousands separators ("1,400") are one token.
_TOKEN = re.compile(
    r"[A-Z]\.(?:[A-Z]\.)+|[A-Z][a-z]{1,3}\.(?=\s+[A-Z])|\d{1,3}(?:,\d{3})+|[\w][\w'’\-]*|[^\w\s]"
)
_PP = frozenset("in of from aboard on at".split())


@dataclass(frozen=True)
class Found:
    """A party one sentence names as gaining or losing."""

    party: str
    polarity: Polarity
    cue: str
    specific: bool
    """A name or a qualified group ("port workers in Trieste"), not a bare "people"."""


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _capital(token: str) -> bool:
    return token[:1].isupper()


def _wordy(token: str) -> bool:
    return bool(re.match(r"\w", token))


def _head_ok(token: str, first: bool) -> bool:
    """A token that can end a party's noun phrase: a people noun or a (non-initial) name."""
    lower = token.lower()
    if lower in PEOPLE:
        return True
    return _capital(token) and not first and lower not in _STOP and lower not in _CALENDAR


def _modifier(token: str) -> bool:
    """A lowercase word that can modify a noun: not a verb of the lexicon, no inflected verb."""
    lower = token.lower()
    return (
        lemma(lower) is None
        and lower not in _GIVING
        and not lower.endswith(("ed", "ing"))
        and "'" not in lower
        and "’" not in lower
    )


def _left_phrase(tokens: list[tuple[str, int, int]], end: int) -> tuple[int, int] | None:
    """The noun phrase ending at token `end` (inclusive), read leftwards: (first, last)."""
    if end < 0:
        return None
    token = tokens[end][0]
    if token.lower() in ("who", "that") and end > 0:
        end -= 1  # "residents who lost their homes"
        token = tokens[end][0]
    if not _wordy(token) or not _head_ok(token, end == 0 and token.lower() not in PEOPLE):
        return None
    start = end
    capitals = _capital(token)
    while start > 0:
        before = tokens[start - 1][0]
        lower = before.lower()
        if not _wordy(before) and before not in ("'", "’"):
            break
        if (
            capitals
            and lower in ("of", "for", "and")
            and start - 2 >= 0
            and _capital(tokens[start - 2][0])
        ):
            start -= 1  # "Secretary of State Antony Blinken", "Bank of Japan"
            continue
        if capitals and lower == "of" and start - 2 >= 0 and tokens[start - 2][0].lower() in PEOPLE:
            start -= 2  # "the women of Texas", "residents of Okinawa"
            break
        if lower in _STOP:
            break
        if lower in _CALENDAR:
            break
        if _capital(before) or (lower.endswith(("'s", "’s")) and lower[:-2] not in _STOP):
            start -= 1
            capitals = True
            continue
        if lower in _DETERMINERS or lower.replace(",", "").isdigit() or lower.endswith("ly"):
            break
        # A lowercase modifier of a people noun ("port workers", "private employees"), never
        # a verb ("to protect renters", "provide employees").
        if end - start < 2 and not capitals and _modifier(before):
            start -= 1
            continue
        break
    while start < end and tokens[start][0].lower() in _STOP | _DETERMINERS:
        start += 1
    return start, end


def _right_phrase(tokens: list[tuple[str, int, int]], begin: int) -> tuple[int, int] | None:
    """The noun phrase starting at or after token `begin`: (first, last)."""
    index = begin
    while index < len(tokens) and (
        tokens[index][0].lower() in _DETERMINERS
        or tokens[index][0].isdigit()
        or tokens[index][0].replace(",", "").isdigit()
    ):
        index += 1
    start = index
    last: int | None = None
    while index < len(tokens) and index - start < 5:
        token = tokens[index][0]
        lower = token.lower()
        if not _wordy(token) or (
            lower in _STOP
            and not (
                lower in ("of", "for", "and")
                and last is not None
                and _capital(tokens[last][0])
                and index + 1 < len(tokens)
                and _capital(tokens[index + 1][0])
            )
        ):
            break
        owner = re.sub(r"['’]s$", "", lower)
        if owner != lower and (owner in PEOPLE or _capital(token)):
            # A possessive ends the phrase at its owner: "a blow to the Biden
            # administration's effort" is the administration's loss.
            return start, index
        if lower in PEOPLE or (_capital(token) and lower not in _CALENDAR):
            last = index
        elif last is not None and not _capital(tokens[last][0]):
            break  # the phrase ended at its people noun
        elif last is not None:
            break
        index += 1
    if last is None:
        return None
    if _compound(tokens, last):
        return None  # the head modifies a noun after it: "child care", "GOP support"
    return start, last


_PRONOUNS = frozenset("they he she".split())
# After one of these a cue word is a noun ("a ban", "the attack", "its support"), not a verb.
_ARTICLES = frozenset("a an the its their his her our this that these those".split())
_SINGULAR = frozenset(
    "person resident worker employee family child bank firm company officer union wife "
    "husband son daughter mother father widow group".split()
)
_CLAUSE_WORDS = frozenset("that which who said says and but or because while when if".split())
_POSSESSIVES = frozenset("their his her".split())


def _owner(
    tokens: list[tuple[str, int, int]], before: int, pronoun: str = "they"
) -> tuple[int, int] | None:
    """The noun phrase a pronoun stands for: the nearest party before it in the sentence that
    can be it ("Fishing crews said they would lose access"): for "he" or "she" a name of two
    words or more, for "they" or "their" a plural."""
    for index in range(before - 1, -1, -1):
        token = tokens[index][0]
        if token.lower() in PEOPLE or (_capital(token) and index > 0):
            span = _left_phrase(tokens, index)
            if span is None or span[1] != index:
                continue
            if pronoun in ("he", "she", "his", "her"):
                if span[1] > span[0] and all(_capital(t[0]) for t in tokens[span[0] : index + 1]):
                    return span
            elif token.lower().endswith("s") or token.lower() in PEOPLE - _SINGULAR:
                return span
    return None


# "could see larger orders", "will get more money": the subject gains; "face higher costs",
# "see fewer jobs": it loses. Costs, prices and taxes are burdens, so more of them is a loss.
_HAVING = frozenset("see sees saw seen get gets got receive receives received face faces".split())
_MORE = frozenset("more larger bigger higher greater increased".split())
_LESS = frozenset("fewer smaller lower less reduced".split())
_BURDENS = frozenset("cost costs prices price taxes tax fees bills rates penalties".split())


def _having(tokens: list[tuple[str, int, int]], index: int) -> Polarity | None:
    """Gain or loss when the verb at `index` has a comparative object, else None."""
    if index + 1 >= len(tokens) or tokens[index][0].lower() not in _HAVING:
        return None
    amount = tokens[index + 1][0].lower()
    thing = tokens[index + 2][0].lower() if index + 2 < len(tokens) else ""
    if amount in _MORE:
        return "loss" if thing in _BURDENS else "gain"
    if amount in _LESS:
        return "gain" if thing in _BURDENS else "loss"
    return None


def _subject(tokens: list[tuple[str, int, int]], group: int) -> tuple[int, int] | None:
    """The noun phrase just before a verb group, a pronoun read as the party it stands for."""
    if group > 0 and tokens[group - 1][0].lower() in _PRONOUNS:
        return _owner(tokens, group - 1, tokens[group - 1][0].lower())
    span = _left_phrase(tokens, group - 1)
    if span is not None:
        return span
    # Past a short modifier of the subject, within the clause: "Defence manufacturers involved
    # in the SM-3 programme could see…", "Residents near the port will pay…".
    for index in range(group - 1, max(-1, group - 9), -1):
        token = tokens[index][0]
        if token.lower() == "and":
            return _relative_subject(tokens, index)
        if not _wordy(token) or token.lower() in _CLAUSE_WORDS:
            return None
        if token.lower() in PEOPLE and not _compound(tokens, index):
            return _left_phrase(tokens, index)
    return None


def _relative_subject(
    tokens: list[tuple[str, int, int]], conjunction: int
) -> tuple[int, int] | None:
    """The subject of a verb joined by "and" to a relative clause's verb: "Afghans who worked
    for the U.S. government and faced retaliation" is what the Afghans faced. "who" must come
    within the clause before the "and", with no other clause between."""
    for index in range(conjunction - 1, max(-1, conjunction - 12), -1):
        token = tokens[index][0].lower()
        if token == "who":
            return _left_phrase(tokens, index)
        if not _wordy(tokens[index][0]) or token in _CLAUSE_WORDS:
            return None
    return None


# Adverbs without "-ly", which follow a noun phrase without being its noun ("nations abroad").
_ADVERBS = frozenset(
    "abroad overseas home here there too again alone together instead nationwide worldwide "
    "anyway either".split()
)


def _compound(tokens: list[tuple[str, int, int]], head: int) -> bool:
    """True when the word at `head` modifies a noun after it ("child care", "GOP support")."""
    if head + 1 >= len(tokens):
        return False
    following = tokens[head + 1][0]
    return (
        _wordy(following)
        and following[:1].islower()
        and following.lower() not in _STOP | _CALENDAR | _TIME | _ADVERBS
        and not following.lower().endswith(("ly", "ed", "ing"))  # "workers involved in"
    )


def _object(tokens: list[tuple[str, int, int]], verb: int) -> tuple[int, int] | None:
    """The noun phrase after a verb; "their houses" is its owner's loss or gain."""
    if verb + 1 < len(tokens) and tokens[verb + 1][0].lower() in _POSSESSIVES:
        return _owner(tokens, verb, tokens[verb + 1][0].lower())
    return _right_phrase(tokens, verb + 1)


def _extend(tokens: list[tuple[str, int, int]], last: int) -> int:
    """Take in a following "in Trieste", "of Okinawa", "aboard the ferry"."""
    if last + 2 < len(tokens) and tokens[last + 1][0].lower() in _PP:
        index = last + 2
        if tokens[index][0].lower() == "the" and index + 1 < len(tokens):
            index += 1
        end = index - 1
        while (
            index < len(tokens)
            and _capital(tokens[index][0])
            and _wordy(tokens[index][0])
            and tokens[index][0].lower() not in _CALENDAR  # "on Thursday" is no place
        ):
            end = index
            index += 1
        if end >= last + 2 and _capital(tokens[end][0]):
            return end
    return last


def _verb_group_start(tokens: list[tuple[str, int, int]], cue: int) -> tuple[int, bool]:
    """Where the verb group of the cue starts, and whether it is passive."""
    index = cue - 1
    passive = False
    while index >= 0 and (
        tokens[index][0].lower() in _BE
        or tokens[index][0].lower() in _AUX
        or tokens[index][0].lower().endswith("ly")
        or _contraction(tokens[index][0]) is not None
    ):
        if tokens[index][0].lower() in _BE or _contraction(tokens[index][0]) in _BE:
            passive = True
        index -= 1
    return index + 1, passive


def _contraction(token: str) -> str | None:
    """The verb of a negative contraction ("wasn't" -> "was", "won't" -> "wo"), else None."""
    lower = token.lower().replace("’", "'")
    return lower[:-3] if lower.endswith("n't") and len(lower) > 3 else None


def _negated(tokens: list[tuple[str, int, int]], group: int, cue: int) -> bool:
    """True when the verb group says the cue did not happen ("will not be disciplined")."""
    return any(
        t[0].lower() in ("not", "never") or _contraction(t[0]) is not None
        for t in tokens[group:cue]
    )


_OPPOSITE: dict[Polarity, Polarity] = {"gain": "loss", "loss": "gain"}

# Verbs that undo a measure: what the measure did for someone is undone with it.
_UNDOING = frozenset(
    "block end halt invalidate overturn repeal scrap suspend revoke rescind vacate cancel "
    "reverse strike".split()
)
_UNDO_FORMS = frozenset(
    f"{verb}{ending}" for verb in _UNDOING for ending in ("", "s", "ed", "d", "ing")
) | frozenset("struck striking".split())


def _undone(tokens: list[tuple[str, int, int]], group: int) -> bool:
    """True when the cue at `group` tells what an undone measure did: "vacated the moratorium
    established to protect renters", "blocked a program protecting immigrants". The cue must
    modify the measure (after "to", "that", "which", or as an -ing form), and a verb that undoes
    it must come earlier in the same clause."""
    cue = tokens[group][0].lower()
    before = tokens[group - 1][0].lower() if group > 0 else ""
    if not (cue.endswith("ing") or before in ("to", "that", "which")):
        return False
    for index in range(group - 1, max(-1, group - 14), -1):
        token = tokens[index][0].lower()
        if token in (".", ";", "but", "and", "while"):
            return False
        if token in _UNDO_FORMS:
            return True
    return False


def _participle(token: str) -> bool:
    return token.lower().endswith(("ed", "en")) or token.lower() in (
        "hurt",
        "lost",
        "won",
        "freed",
        "fined",
        "barred",
        "banned",
        "shot",
    )


def parties_in(sentence: str) -> list[Found]:
    """The parties the sentence says gain or lose, each a span of the sentence."""
    text = normalize(sentence)
    tokens = _tokens(text)
    found: list[Found] = []
    span: tuple[int, int] | None
    for index, (token, _, _) in enumerate(tokens):
        lower = token.lower()
        if lower in ("favor", "favour") and 0 < index and tokens[index - 1][0].lower() == "in":
            if index + 1 < len(tokens) and tokens[index + 1][0].lower() == "of":
                span = _right_phrase(tokens, index + 2)  # "ruled in favor of the tenants"
                if span is not None:
                    found.extend(_found(text, tokens, span, "gain", token))
            continue
        if lower in ("sided", "sides", "side") and index + 1 < len(tokens):
            if tokens[index + 1][0].lower() == "with":
                span = _right_phrase(tokens, index + 2)  # "the court sided with landlords"
                if span is not None:
                    found.extend(_found(text, tokens, span, "gain", token))
            continue
        if lower == "against" and index > 0 and lemma(tokens[index - 1][0]) is None:
            if tokens[index - 1][0].lower() in ("ruled", "rules", "ruling", "decided", "sided"):
                span = _right_phrase(tokens, index + 1)  # "the judge ruled against Google"
                if span is not None:
                    found.extend(_found(text, tokens, span, "loss", token))
            continue
        if lower in _ROLES:
            span = _left_phrase(tokens, index)
            if span is not None:
                found.extend(_found(text, tokens, span, _ROLES[lower], token))
            continue
        if (
            lower in _NOUNS
            and index + 1 < len(tokens)
            and tokens[index + 1][0].lower() in ("for", "to", "on")
        ):
            span = _right_phrase(tokens, index + 2)
            if span is not None:
                found.extend(_found(text, tokens, span, _NOUNS[lower], token))
            continue  # else the word may be a verb: "Democrats win", "to boost exports"
        at_risk = lower == "risk" and index > 0 and tokens[index - 1][0].lower() == "at"
        if (lower in _LOSS_STATES | _GAIN_STATES or at_risk) and index > 0:
            group, _ = _verb_group_start(tokens, index - 1 if at_risk else index)
            span = None
            if group < index - (1 if at_risk else 0):  # after "to be": "are still missing"
                span = _subject(tokens, group)
            elif at_risk:  # "leaving millions of Americans at risk of losing their homes"
                span = _left_phrase(tokens, index - 2)
            if span is not None:
                state: Polarity = "gain" if lower in _GAIN_STATES else "loss"
                found.extend(_found(text, tokens, span, state, token))
            continue
        change = _having(tokens, index)
        if change is not None:
            group, _ = _verb_group_start(tokens, index)
            span = _subject(tokens, group)
            if span is not None:
                found.extend(_found(text, tokens, span, change, token))
            continue
        noun_use = index > 0 and tokens[index - 1][0].lower() in _ARTICLES
        verb = lemma(token) if token[:1].islower() and not noun_use else None
        if verb in _GIVING or verb in _WITHHOLDING:
            # The recipient: "to" or "for" and a noun phrase, within a few words. What is given
            # is its gain, what is withheld ("denied visas to immigrants") its loss, and either
            # turns over when it did not happen or was undone.
            group, passive = _verb_group_start(tokens, index)
            given: Polarity = "loss" if verb in _WITHHOLDING else "gain"
            if _negated(tokens, group, index) or _undone(tokens, group):
                given = _OPPOSITE[given]
            for ahead in range(index + 1, min(index + 9, len(tokens) - 1)):
                if tokens[ahead][0] in (".", ",", ";"):
                    break
                if tokens[ahead][0].lower() in ("to", "for") or (
                    verb == "share" and tokens[ahead][0].lower() == "with"
                ):
                    span = _right_phrase(tokens, ahead + 1)
                    if span is not None:
                        found.extend(_found(text, tokens, span, given, token))
                    break
            if verb not in _LEMMAS:
                if verb in _GIVING and passive and _participle(token):
                    # "families were given", "the company was awarded": the subject gains.
                    span = _left_phrase(tokens, group - 1)
                    if span is not None:
                        found.extend(_found(text, tokens, span, "gain", token))
                continue
        if verb is None and lower.startswith("benefit"):
            verb = _DUAL
        if verb is None:
            continue
        if verb == _DUAL:
            following = tokens[index + 1][0].lower() if index + 1 < len(tokens) else ""
            polarity: Polarity = "gain"
            role: Role = "subject" if following in ("from", "", ".", ",") else "object"
        else:
            polarity, role = _LEMMAS[verb]
        group, passive = _verb_group_start(tokens, index)
        passive = passive and _participle(token)
        negated = _negated(tokens, group, index)
        if (negated and not (role == "subject" and polarity == "loss")) or _undone(tokens, group):
            # What did not happen is its opposite for the party: an officer "will not be
            # disciplined", a party that "did not win", renters whom an overturned moratorium
            # protected. A loss its subject bears stays one: "renters who could not pay".
            polarity = _OPPOSITE[polarity]
        span = None
        if role == "object" and not passive:
            # A participle right after a noun phrase, a preposition next, is a reduced
            # passive: "nine people killed in the crash"; else the object bears it.
            if (
                _participle(token)
                and group == index
                and index + 1 < len(tokens)
                and tokens[index + 1][0].lower() in ("in", "by", "when", "after", "during")
            ):
                span = _left_phrase(tokens, group - 1)
            if span is None:
                span = _object(tokens, index)
        else:
            span = _subject(tokens, group)
        if span is not None:
            found.extend(_found(text, tokens, span, polarity, token))
    return found


def _found(
    text: str,
    tokens: list[tuple[str, int, int]],
    span: tuple[int, int],
    polarity: Polarity,
    cue: str,
) -> list[Found]:
    """The party of a noun-phrase span (with its "in Trieste"), or none when it is too short."""
    first, head = span
    last = _extend(tokens, head)
    specific = tokens[head][0].lower() not in _GENERIC or last > head or head > first
    if not specific:
        first = _counted_from(tokens, first)  # "At least 12 people", not a bare "People"
    phrase = text[tokens[first][1] : tokens[last][2]].strip(" ,;:'\"")
    if phrase.endswith(".") and not tokens[last][0].endswith("."):
        phrase = phrase[:-1]
    phrase = re.sub(r"['’]s$", "", phrase)
    if len(phrase) < 3:
        return []
    return [Found(phrase, polarity, cue, specific)]


_QUANTIFIERS = frozenset("at least more than nearly about almost around over some up to".split())


def _counted_from(tokens: list[tuple[str, int, int]], first: int) -> int:
    """Where the count before a bare "people" starts ("at least 12", "nine", "thousands of"),
    or `first` when no figure comes before it."""
    index = first - 1
    if index >= 1 and tokens[index][0].lower() == "of":
        index -= 1  # "thousands of people"
    figure = index >= 0 and (
        tokens[index][0].replace(",", "").isdigit()
        or tokens[index][0].lower() in NUMBER_WORDS
        or tokens[index][0].lower() in ("dozens", "hundreds", "thousands", "millions")
    )
    if not figure:
        return first
    while index - 1 >= 0 and tokens[index - 1][0].lower() in _QUANTIFIERS:
        if tokens[index - 1][0].lower() == "to" and (
            index < 2 or tokens[index - 2][0].lower() != "up"
        ):
            break  # "up to 500 people", but not "given to millions of people"
        index -= 1
    return index
