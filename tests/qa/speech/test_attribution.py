import pytest

from qa.speech.attribution import attributions
from qa.speech.names import same_person
from qa.speech.questions import AskedSpeech, asked_speech

ARTICLE = (
    "Israeli Prime Minister Benjamin Netanyahu spoke with Russian President Vladimir Putin on Sunday.\n\n"
    "Netanyahu, in his call with Putin, expressed concern about the drone deliveries. "
    "He warned that the alliance was dangerous. "
    "The Israeli Prime Minister also addressed the hostages in Gaza. "
    "Putin said Russia wanted calm. "
    "The call lasted an hour, according to the Kremlin. "
    "“We will keep talking,” said Netanyahu. "
    "Putin’s remarks were brief. "
    "It was their third call this year."
)


def said() -> dict[str, tuple[str, str]]:
    return {ARTICLE[a.start : a.end][:25]: (a.speaker, a.cue) for a in attributions(ARTICLE)}


def test_speakers_are_found_and_resolved_to_full_names() -> None:
    assert said() == {
        "Israeli Prime Minister Be": ("Benjamin Netanyahu", "spoke"),
        "Netanyahu, in his call wi": ("Benjamin Netanyahu", "expressed"),
        "He warned that the allian": ("Benjamin Netanyahu", "warned"),
        "The Israeli Prime Ministe": ("Benjamin Netanyahu", "addressed"),
        "Putin said Russia wanted ": ("Vladimir Putin", "said"),
        "The call lasted an hour, ": ("Kremlin", "according to"),
        "“We will keep talking,” s": ("Benjamin Netanyahu", "said"),
        "Putin’s remarks were brie": ("Vladimir Putin", "remarks"),
    }


def test_offsets_are_whole_sentences_of_the_text() -> None:
    for a in attributions(ARTICLE):
        sentence = ARTICLE[a.start : a.end]
        assert sentence == sentence.strip() and sentence[-1] in ".”"


def test_titles_the_article_gives_are_remembered() -> None:
    netanyahu = next(a for a in attributions(ARTICLE) if a.speaker == "Benjamin Netanyahu")
    assert {"prime minister", "israeli prime minister"} <= set(netanyahu.titles)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did Netanyahu say about Iran?", AskedSpeech("Netanyahu", "Iran")),
        ("What did the French president say about the Brexit negotiations?",
         AskedSpeech("the French president", "the Brexit negotiations")),
        ("What was Biden's reaction to the strike?", AskedSpeech("Biden", "the strike")),
        ("How did Macron respond?", AskedSpeech("Macron", None)),
        ("What has Netanyahu said about Iran?", AskedSpeech("Netanyahu", "Iran")),
        ("According to Netanyahu, why is the alliance dangerous?",
         AskedSpeech("Netanyahu", "why is the alliance dangerous")),
        ("Why is the alliance dangerous, according to the Israeli prime minister?",
         AskedSpeech("the Israeli prime minister", "Why is the alliance dangerous")),
        ("What did Netanyahu tell Putin?", AskedSpeech("Netanyahu", None)),
        ("What did Netanyahu tell reporters about the hostages?", AskedSpeech("Netanyahu", "the hostages")),
        ("What did Netanyahu say to Putin about Iran?", AskedSpeech("Netanyahu", "Iran")),
        ("How did Netanyahu describe Russia’s cooperation with Iran?",
         AskedSpeech("Netanyahu", "Russia’s cooperation with Iran")),
        ("How did the mayor describe the bridge?", AskedSpeech("the mayor", "the bridge")),
        ("What was Netanyahu’s reaction to the release?", AskedSpeech("Netanyahu", "the release")),
        ("What were Netanyahu's comments on Syria?", AskedSpeech("Netanyahu", "Syria")),
        ("Why did Netanyahu thank Putin?", None),
        ("What did it say about rates?", None),
        ("What does the report say about rates?", None),
        ("According to reports, how many died?", None),
        ("According to the latest figures, how many died?", None),
        ("How did the storm affect the town?", None),
    ],
)
def test_questions_about_what_someone_said(question: str, expected: AskedSpeech | None) -> None:
    assert asked_speech(question) == expected


def test_same_person_by_name_or_title_but_not_by_a_shared_word() -> None:
    assert same_person("Netanyahu", "Benjamin Netanyahu")
    assert same_person("the Israeli prime minister", "Benjamin Netanyahu", ("israeli prime minister",))
    assert not same_person("the French president", "Vladimir Putin", ("russian president", "president"))
    assert not same_person("the", "Vladimir Putin")


def test_an_official_the_article_never_names_speaks_under_the_title() -> None:
    text = "The mayor announced a new bridge toll on Monday. The new police chief said the roads were safe."
    assert [(a.speaker, a.cue) for a in attributions(text)] == [
        ("the mayor", "announced"), ("the new police chief", "said"),
    ]
    assert same_person("the mayor", "the mayor") and same_person("the police chief", "the new police chief")
    assert not same_person("the mayor", "the new police chief")
