"""The support and answer-type checks, on hand-made claims and on the RealTime QA development set."""
from __future__ import annotations

import pytest

from conftest import RTQA
from qa.answer_type import answer_type, asks, offers_answer, written_as_name
from qa.evidence import grounded, numbers, supports

pytestmark = pytest.mark.fast

EVIDENCE = ("Officials offered no proof Ketaib Hezbollah was behind Friday’s attack, but did say the group has "
            "links to Iran’s Quds Forces. The strikes targeted five PMU bases, killing at least 25.")


@pytest.mark.parametrize("claim, ok", [
    ("No proof was offered that Ketaib Hezbollah was behind the attack.", True),
    ("Officials offered proof that Ketaib Hezbollah was behind the attack.", False),  # reversed polarity
    ("The strikes targeted five PMU bases, killing at least 30.", False),  # wrong number
    ("Samsung was behind Friday's attack.", False),  # swapped entity in first position
    ("The group has links to Iran's Quds Forces.", True),
    ("The group has links to Iran's Quds Forces and to Hamas.", False),  # invented name
    ("The strikes were ordered by President Donald Trump.", False),
])
def test_support_catches_reversed_and_invented_claims(claim, ok):
    assert supports(claim, EVIDENCE, "What proof was offered for the attribution?") is ok


def test_what_a_claim_adds_must_come_from_the_evidence():
    question = "What did Iran's government say in response to the US strikes?"
    assert not supports("Iran's government said the strikes were an act of war.", EVIDENCE, question)


@pytest.mark.parametrize("question, sentence, ok", [
    ("How many people were killed in the strikes?", "The strikes targeted five PMU bases, killing at least 25.", True),
    # The type is there; whether "25" counts the warplanes is the judge's call on the short answer (reader).
    ("How many F-15 warplanes took part in the strikes?", "The strikes targeted five PMU bases, killing at least 25.", True),
    ("How many F-15 warplanes took part?", "US F-15 warplanes carried out a series of airstrikes over the course of Sunday.", False),
    # A share is no count, and a count no share.
    ("How many pilots does the airline employ?", "The airline operated about 40% of its scheduled flights.", False),
    ("How many pilots does the airline employ?", "About 40% of its 1,200 pilots stayed home.", True),
    ("What percentage of voters back the plan?", "Some 52% of voters back the plan.", True),
    ("What percentage of voters back the plan?", "About half of voters back the plan.", True),
    ("What percentage of voters back the plan?", "The pollster asked 1,200 voters.", False),
    # "How much" money asks for an amount of money; a scale word stands for one ("19 million").
    ("How much money will each member get?", "Members get two years of free credit monitoring.", False),
    ("How much money will each member get?", "Each member will receive $150.", True),
    ("How much did the bidder pay?", "19 million", True),
    ("How much did the bidder pay?", "The bidding started on June 12 with 40 bidders.", False),
    ("How much time did the bidders get?", "The bidding lasted 5 days.", True),
    ("What was the name of the contractor killed in the attack?", "The attack killed a contractor and wounded troops.", False),
    ("What was the name of the contractor killed in the attack?", "The contractor, John Smith, was killed.", True),
    ("On what day were the airstrikes carried out?", "Warplanes carried out airstrikes over the course of Sunday.", True),
    ("When did the council vote?", "The council approved the plan after a long debate.", False),
    ("What proof was offered for the attribution?", "No proof was offered for the attribution.", True),  # polarity is news
    ("Who was killed in Friday's rocket attack?", "The Friday rocket strikes on the base killed a US contractor.", True),
    ("Who ordered the US airstrikes on the militia bases?", "The warplanes carried out airstrikes on the militia bases.", False),
    ("Who's Ingrid Halvorsen?", "Ingrid Halvorsen is the planetary scientist who leads the Aldermoor seismometer team.", True),
    ("How long has he been doing this research?", "Jason Ditz has 20 years of experience in foreign policy research.", True),
    ("How long has she been running the company?", "Varga said Ardent's roughly 700 employees would join Kestrel.", False),
    ("How long is the new bridge?", "The bridge spans 2.3 kilometers.", True),
    # A point in time is no span: "last year" holds a unit but not a length of it.
    ("How long has she been running the company?", "42% increase in revenue last year", False),
    ("How long has she been running the company?", "She has led Kestrel since 2019.", True),
    ("How long was Griner detained?", "She spent nearly ten months in Russian custody.", True),
    ("When is the deal expected to close?", "The companies said they expected it to close in the third quarter.", True),
    ("Did her instrument pick up any moonquakes?", "No", True),  # a bare verdict: the reader quotes the cited sentence
    ("Did she say anything about layoffs?", "No layoffs were planned.", True),
    ("Who ordered the US airstrikes?", "The airstrikes were ordered by Defense Secretary Mark Esper.", True),
    ("Where is the base?", "The base is the base.", False),  # restates the question
    # A place whose adjective the question holds restates it too: "Syria" of "Syrian", "Iraq" of "Iraqi".
    ("Which Syrian towns were bombed?", "Syria", False),
    ("Which Syrian towns were bombed?", "Deir ez-Zor and Al-Qaim", True),
    ("Which Iraqi city did the rockets hit?", "Iraq", False),
    ("Has the Iraqi government reacted?", "There hasn’t been a reaction yet from the Iraqi government.", True),
    ("Has the Iraqi government reacted?", "This raises doubts about US claims that the PMU would attack an Iraqi base.", False),
    # A yes/no question is answered by its own words with a "yes" or "no" in front, not without one.
    ("Does the writer see the strikes as an act of war?", "Yes, the writer sees the strikes as an act of war.", True),
    ("Does the writer see the strikes as an act of war?", "The writer sees the strikes as an act of war.", False),
    # Who a named person is asks for a role, which names no one new.
    ("who is Paul Reinholt", "Paul Reinholt is the state epidemiologist.", True),
    ("who is Paul Reinholt", "Paul Reinholt", False),
])
def test_answer_must_offer_what_was_asked(question, sentence, ok):
    assert offers_answer(question, sentence) is ok


def test_a_yes_no_answer_speaks_of_the_question_with_its_headline_but_not_by_it_alone():
    question = "Did any of the children die in the Ridgeway salmonella outbreak?"
    headline = "Salmonella outbreak sickens 41 pupils at Ridgeway Elementary"
    assert not offers_answer(question, "None of the pupils has died.")
    assert offers_answer(question, "None of the pupils has died.", headline)
    assert not offers_answer(question, "Lessons will go on while the cafeteria stays closed.", headline)


def test_only_a_place_of_a_question_adjective_is_taken_from_it():
    from qa.evidence import new_terms

    assert new_terms("Italy and Japan", "Which Italian firm bought the Japanese carmaker?") == set()
    assert new_terms("again", "Does being a candidate protect him against prosecution?") == {"again"}


@pytest.mark.parametrize("short, ok", [
    ("Iraq military base near Kirkuk", False),  # describes the base, names none
    ("K-1 Air Base", True),
    ("the K-1 base", True),  # the question's own word may stand in lower case
    ("Ludwig van Beethoven", True),
    ("Category 4", True),
    ("a military base", False),
])
def test_a_name_question_is_answered_with_a_name(short, ok):
    assert written_as_name(short, "What's the name of the base near Kirkuk that was rocketed on Friday?") is ok


def test_answer_types():
    assert answer_type("How much did it cost?") == "number"
    assert answer_type("In what year was it built?") == "time"
    assert answer_type("What is the name of the ship?") == "name"
    assert answer_type("Who won?") == "agent"
    assert answer_type("What did the report find?") is None
    assert answer_type("When did the lander go quiet?") == "time"
    # "when" after the interrogative joins clauses: the question asks how, or which, not when.
    assert answer_type("How did China respond when NASA criticized it last year?") is None
    assert answer_type("He was trafficked from which country when he was eight?") is None
    assert answer_type("How many people were hurt when the base was hit?") == "number"
    # A yes/no question after a clause of its own, unless a wh-word asks for more.
    assert answer_type("If the ruling stands, will the tenants get paid?") == "yes/no"
    assert answer_type("I read it was $2 billion, is that right?") == "yes/no"
    # Asked negatively.
    assert answer_type("Aren't the PMU part of Iraq's own security forces?") == "yes/no"
    assert answer_type("wasn't the price hike supposed to be smaller") == "yes/no"
    assert answer_type("Won’t they appeal?") == "yes/no"
    assert answer_type("Which airline, founded in 1926, was sold?") is None


@pytest.mark.parametrize("question, kind", [
    ("who is Paul Reinholt", "identity"),
    ("Who's Ingrid Halvorsen?", "identity"),
    ("who's raymond osei", "identity"),
    ("Who was Ludwig van Beethoven?", "identity"),
    # A description of the one asked for, not a name: a name is asked.
    ("Who is the mayor?", "agent"),
    ("Who's Kestrel's boss?", "agent"),
    ("Who is responsible?", "agent"),
    ("who is leading", "agent"),
    ("who was arrested", "agent"),
    ("who is behind the attack", "agent"),
])
def test_who_a_named_person_is_asks_for_a_role(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize("question, expected", [
    ("how old was she and what did she die of", ["how old was she?", "what did she die of?"]),
    ("Who wrote the article, and what does he do?", ["Who wrote the article?", "what does he do?"]),
    ("Is it true, and why?", ["Is it true?", "why?"]),
    # Or two questions in one message.
    ("How many renters got bad reports? What's the current estimate?",
     ["How many renters got bad reports?", "What's the current estimate?"]),
    # "and" inside one ask, or before a clause that asks nothing, splits nothing.
    ("What did Smith and Wesson announce?", ["What did Smith and Wesson announce?"]),
    ("Did Biden and Harris meet?", ["Did Biden and Harris meet?"]),
    ("The plant closed and what happened next?", ["The plant closed and what happened next?"]),
    ("Which food is eaten for luck? (Hint: it is served at Rosh Hashanah.)",
     ["Which food is eaten for luck? (Hint: it is served at Rosh Hashanah.)"]),
])
def test_a_question_may_ask_two_things(question, expected):
    assert asks(question) == expected


def test_dev_set_from_realtime_qa():
    """Gold sentences verify; swapped-entity, negated and other-article variants mostly do not."""
    assert (RTQA / "questions.jsonl").exists(), f"RealTime QA data missing at {RTQA}"
    from evals.devset import build, score

    items = build(RTQA, limit=40)
    assert {i.kind for i in items} == {"gold", "swapped", "negated", "other-article"}
    result = score(items)
    assert result["gold"]["lexical"] >= 0.95
    assert result["negated"]["lexical"] >= 0.95
    assert result["other-article"]["lexical"] >= 0.95
    assert result["swapped"]["lexical"] >= 0.85


def test_who_said_it_must_be_in_the_passage():
    """A speaker taken from the question does not make the passage say it."""
    evidence = "US attacks on PMU bases are effectively an act of war against Iraq, the author argues."
    question = "What did Iran's government say in response to the US strikes?"
    assert not supports("Iran's government said the strikes were an act of war against Iraq.", evidence, question)
    assert supports("US attacks on PMU bases are an act of war against Iraq.", evidence, question)


# Real RealTime QA drafts the checks once refused (2022-11-11, 2022-11-25, 2022-10-21, 2022-09-30).
FETTERMAN = ("Republicans had hoped for a 'red wave' that had not materialized, as Democrats held on to key seats. "
             "Democrat John Fetterman won the Senate race in Pennsylvania, flipping a seat held by retiring GOP Sen. Pat Toomey.")


def test_a_negation_ends_with_its_clause():
    question = "In which state did Democrats flip a Senate seat?"
    assert supports("Democrat John Fetterman won the Senate race in Pennsylvania, flipping a seat held by Pat Toomey.",
                    FETTERMAN, question)
    assert not supports("A red wave materialized.", FETTERMAN, question)


def test_a_bare_answer_to_a_negated_question_may_sit_in_what_the_evidence_negates():
    question = ("In an interview, Martin Sheen said he regrets not using his birth name professionally. "
                "What is it?")
    evidence = "Martin Sheen's birth name is on his legal documents, but he regrets not professionally going by Ramon Estévez."
    assert grounded("Ramon Estévez", evidence, question)
    # A sentence keeps its own polarity, and so does a bare answer to a question that negates nothing.
    assert not grounded("Professionally, the actor has always gone by the name Ramon Estévez.", evidence, question)
    assert not grounded("Ramon Estévez", evidence, "What name did Martin Sheen go by professionally?")


def test_ages_in_other_words_and_numbers_from_the_question():
    assert supports("Biden is 80 years old.", "President Joe Biden turns 80 on Sunday.", "What is Biden's age?")
    assert not supports("Biden is 81 years old.", "President Joe Biden turns 80 on Sunday.", "What is Biden's age?")
    assert supports("Lula won more than 50% of the vote.", "Lula won with a majority of the vote.",
                    "Did Lula win more than 50% of the vote?")


def test_context_may_name_the_speaker_but_never_supplies_the_answer():
    evidence = "The rapper announced he is acquiring Parler, an alternative social platform."
    question = "Kanye West announced he is acquiring which social media platform?"
    claim = "Kanye West announced he is acquiring Parler."
    assert not supports(claim, evidence, question)
    assert supports(claim, evidence, question, context="Kanye West to buy Parler")
    lebron = "James is part of a consortium buying a franchise in Major League Pickleball."
    assert not supports("LeBron James has agreed to buy a team in the NHL.", lebron,
                        "LeBron James has agreed to buy a team in which league?", context="Red Sox owners to buy NHL team")


def test_names_may_come_from_the_same_article_numbers_are_not_names():
    filed = "The lawsuit was filed by Dolores Okafor, a hospice nurse from Gresham, turned down for three apartments."
    later = "Her lawyers estimated that about 14,000 Oregon renters had received inaccurate reports."
    question = "What does Dolores Okafor do for a living?"
    claim = "Dolores Okafor is a hospice nurse from Gresham, Oregon."
    assert not grounded(claim, filed, question)
    assert grounded(claim, filed, question, context=later)
    # A capitalised number opening a sentence is checked as a number, not as an invented name.
    assert supports("Three apartments turned her down.", filed, "How many places turned her down?")
    assert not supports("Four apartments turned her down.", filed, "How many places turned her down?")


def test_a_sentence_opening_on_a_negation_is_grounded_in_itself():
    """"None" opening a sentence is no name to find in the evidence: a negative answer quoted from
    its source ("Has anybody died?") was failed as inventing one."""
    died = "Three people have been hospitalized. None of the patients has died."
    question = "Has anybody died from measles in the Carver Valley outbreak?"
    assert grounded("None of the patients has died.", died, question)
    assert grounded("Never before had the county closed the bridge.", "Never before had the county closed the bridge.")
    assert not grounded("None of the patients has died.", "Three people have been hospitalized.", question)


def test_a_name_inside_a_hyphenated_compound_is_named():
    """"D-Windsor Heights" names Windsor Heights; a place it does not name is still invented."""
    said = ('"Everyone deserves the right to decide," House Democratic Leader Jennifer Konfrst, D-Windsor Heights, '
            'said in a statement Tuesday.')
    question = "Who is Jennifer Konfrst?"
    assert grounded("Jennifer Konfrst is the House Democratic Leader from Windsor Heights.", said, question)
    assert not grounded("Jennifer Konfrst is the House Democratic Leader from Des Moines.", said, question)


def test_a_score_is_one_fact():
    """A score made of two numbers the text gives apart is invented; the same score written with
    another dash is the same."""
    text = ("England has scored a tournament-leading 20 goals on its way to the final, 8-0 against Norway "
            "in the group stage and 4\u20130 against Sweden in the semifinals.")
    question = "What was the final score?"
    assert not grounded("20-8", text, question)
    assert grounded("8\u20130", text, question) and grounded("4-0 against Sweden", text, question)


def test_a_names_digits_are_part_of_the_name():
    """"Blink-182" is a name its headline may supply; a number alone must come from the sentence."""
    sentence = "Band members Mark Hoppus and Travis Barker will reunite with original member Tom DeLonge."
    question = "Which band announced it is reuniting with all the original members?"
    assert grounded("Blink-182", sentence, question, context="Blink-182 reuniting with Tom DeLonge")
    assert not grounded("Blink-183", sentence, question, context="Blink-182 reuniting with Tom DeLonge")
    assert numbers("F-15s flew 12 sorties, a 19-year-old said.") == {"12", "19"}
    assert not grounded("The band sold 182 tickets.", sentence, question, context="Blink-182 reuniting")


def test_a_name_spelled_with_a_letter_more_or_less_is_the_same_name():
    """Sources transliterate both ways ("Ketaib Hezbolah" beside "Ketaib Hezbollah"); another letter
    in its place, or a short name, is another name."""
    said = "US officials say the Ketaib Hezbolah facilities were storage facilities."
    question = "Which group does Washington blame for the rocket attack?"
    assert grounded("Ketaib Hezbollah", said, question)
    assert grounded("Moammar Ghaddafi", "Moammar Gaddafi spoke on Monday.", "Who spoke?")
    assert not grounded("Roland", "Poland sent troops.", "Which country sent troops?")
    assert not grounded("Jon", "Jin sang first.", "Who sang first?")


@pytest.mark.fast
def test_the_opening_of_an_answer_is_read_from_its_tokens():
    """The log-probability of the first token of a JSON field's string value; none for an empty or
    missing value, or a reply without token probabilities."""
    from qa.confidence import opening_logprob

    tokens = [('{"', -0.9), ("evidence", 0.0), ('":', 0.0), (" [", -0.1), ("2", -0.7), ("],", -0.5), (' "', 0.0),
              ("answer", 0.0), ('":', 0.0), (' "', -0.02), ("Ana", -1.8), (" Lindqvist", -0.01), ('",', 0.0)]
    assert opening_logprob(tokens) == -1.8
    assert opening_logprob(tokens, "short") is None and opening_logprob([]) is None
    empty = [*tokens[:10], ('",', -0.3)]
    assert opening_logprob(empty) is None
