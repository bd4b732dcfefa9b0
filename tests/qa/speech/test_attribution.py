"""Attribution on small sentences of real reporting's shapes, with the packaged spaCy pipeline."""

import pytest

from qa.speech.attribution import attributions
from qa.text.pipeline import DEFAULT_PIPELINE, load_pipeline


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline(DEFAULT_PIPELINE)


def said(text: str, nlp) -> list[tuple[str, str | None, str]]:
    """(sentence start, speaker, kind) of each attributed sentence."""
    return [(text[r.start : r.end][:24], r.speaker, r.kind) for r in attributions(text, nlp)]


def speakers(text: str, nlp) -> list[str | None]:
    return [r.speaker for r in attributions(text, nlp)]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # The subject of a communication verb, before or after it.
        ("Secretary of State Antony Blinken said in a statement Saturday that the shipments were unprecedented.",
         "Antony Blinken"),
        ("“We cannot wait another winter,” said Maria Alvarez, the transport commissioner.", "Maria Alvarez"),
        # Titles and roles in front of the name, or after it.
        ("Transport commissioner Maria Alvarez said the bridge would reopen in May.", "Maria Alvarez"),
        ("Festival director Sam Wu said ticket sales had doubled.", "Sam Wu"),
        ("John Kirby, a spokesperson for the National Security Council, told reporters the talks would go on.",
         "John Kirby"),
        ("Dollar Tree CEO and president Michael Witynski said in a statement that prices would rise.",
         "Michael Witynski"),
        # Other verbs of speech, and "according to".
        ("Fauci warned that monkeypox cases could keep rising.", "Fauci"),
        ("Governor Andy Beshear tweeted that the flooding was the worst in the state's history.", "Andy Beshear"),
        ("The virus infected more than 60 million people, according to the Centers for Disease Control and Prevention.",
         "Centers for Disease Control and Prevention"),
        # Organisations speak too.
        ("The White House said the president would sign the bill on Friday.", "White House"),
    ],
)
def test_the_speaker_of_a_sentence(text: str, speaker: str, nlp) -> None:
    assert speakers(text, nlp) == [speaker]


def test_surnames_and_pronouns_resolve_to_the_fullest_name(nlp) -> None:
    text = (
        "Transport commissioner Maria Alvarez said the bridge would reopen in May.\n\n"
        "“We cannot wait another winter,” Alvarez said.\n\n"
        "She added that the city would pay for the repairs."
    )
    assert speakers(text, nlp) == ["Maria Alvarez"] * 3


def test_an_acronym_resolves_to_the_organisation_it_stands_for(nlp) -> None:
    text = (
        "The National Highway Traffic Safety Administration said Monday it had ordered a buyback.\n\n"
        "NHTSA said the automaker had failed to repair the trucks."
    )
    assert speakers(text, nlp) == ["National Highway Traffic Safety Administration"] * 2


def test_a_quotation_over_several_sentences_and_paragraphs_is_its_speakers(nlp) -> None:
    text = (
        "“The expansion of leave can be tough,” Gary Cushing said. “As for the minimum wage, it is negative.\n\n"
        "“It makes it another cost of doing business.”\n\n"
        "The chamber has 400 members."
    )
    assert [(speaker, kind) for _, speaker, kind in said(text, nlp)] == [("Gary Cushing", "direct")] * 3


def test_a_quotation_standing_alone_after_an_attributed_one_goes_on_in_its_voice(nlp) -> None:
    text = (
        '"Fiat Chrysler must find a better way to reach customers," Transportation Secretary Anthony Foxx said.\n\n'
        '"Merely identifying safety issues is not enough."'
    )
    assert speakers(text, nlp) == ["Anthony Foxx", "Anthony Foxx"]


def test_kinds_direct_indirect_and_mixed(nlp) -> None:
    text = (
        "“That spread very, very well,” Fauci said. "
        "Fauci said the swine flu was easily transmitted. "
        "Cheney said she would “do whatever it takes” to stop him."
    )
    assert [kind for _, _, kind in said(text, nlp)] == ["direct", "indirect", "mixed"]


def test_unnamed_sources_stay_unnamed(nlp) -> None:
    text = (
        "Secretary of State Antony Blinken met his counterpart on Monday. "
        "Officials said the meeting lasted two hours. "
        "A spokesperson told reporters that no deal was reached."
    )
    assert speakers(text, nlp) == [None, None]


def test_someone_else_quoted_in_a_sentence_is_not_its_speaker(nlp) -> None:
    text = "Trump said on Truth Social during Hutchinson's testimony that he hardly knew her."
    assert speakers(text, nlp) == ["Trump"]


def test_speech_verbs_inside_a_quotation_are_not_the_reporters_cue(nlp) -> None:
    text = "“Yesterday we said that we would not launch,” Mike Sarafin said."
    assert speakers(text, nlp) == ["Mike Sarafin"]


def test_writing_that_is_not_speech_is_not_attributed(nlp) -> None:
    text = "Johan Cruyff attended her announcement and wrote a foreword in the book. FCA has not said how much it costs."
    assert speakers(text, nlp) == []


def test_an_agency_relaying_someone_else_is_not_the_speaker(nlp) -> None:
    text = "Portugal's Health Ministry said 659 people had died in the previous seven days, Reuters reported."
    assert speakers(text, nlp) == ["Portugal's Health Ministry"]


def test_offsets_are_whole_sentences_and_narration_is_left_out(nlp) -> None:
    text = "The storm hit at noon. Mayor Ana Pérez said the shelters were full. Roads closed."
    records = attributions(text, nlp)
    assert [text[r.start : r.end] for r in records] == ["Mayor Ana Pérez said the shelters were full."]
    assert records[0].speaker == "Ana Pérez"


def test_a_participle_speaks_with_the_subject_of_its_clause(nlp) -> None:
    text = "The European Union unveiled its gas plan on Wednesday, urging member states to cut demand by 15%."
    assert speakers(text, nlp) == ["European Union"]


def test_a_name_before_a_thing_is_not_a_speaker(nlp) -> None:
    text = "Some widely shared Facebook posts have compared the two viruses, pointing out that cases differ."
    assert speakers(text, nlp) == [None]


def test_a_pronoun_refers_back_to_the_person_quoted_before(nlp) -> None:
    text = (
        '"I am hugely proud of my titles," Esther Vergeer said on Monday.\n\n'
        "In the last 10 years, she won 120 straight tournaments, the International Tennis Federation said.\n\n"
        '"It felt great," she said.'
    )
    assert speakers(text, nlp) == ["Esther Vergeer", "International Tennis Federation", "Esther Vergeer"]


def test_small_words_inside_a_name_stay_in_it(nlp) -> None:
    text = '"Russia is using energy as a weapon," said EU Commission President Ursula von der Leyen.'
    assert said(text, nlp) == [(text[:24], "Ursula von der Leyen", "direct")]


def test_a_title_resolves_to_the_person_the_article_gives_it(nlp) -> None:
    text = (
        "Israeli Prime Minister Benjamin Netanyahu spoke with Russian President Vladimir Putin on Sunday. "
        "The Israeli Prime Minister warned that Iran and its drones were a danger to the region."
    )
    records = attributions(text, nlp)
    assert [r.speaker for r in records] == ["Benjamin Netanyahu"]
    assert "israeli prime minister" in records[0].titles
