import pytest

from qa.speech.questions import AskedSpeech, asked_speech


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


def test_a_source_that_is_data_not_a_speaker_is_told_apart() -> None:
    assert asked_speech("Which costume is the most popular, according to Google ratings?").sourced
    assert not asked_speech("Which costume is the most popular, according to Heidi Klum?").sourced
