from qa.speech.names import same_person


def test_same_person_by_name_or_title_but_not_by_a_shared_word() -> None:
    assert same_person("Netanyahu", "Benjamin Netanyahu")
    assert same_person("the Israeli prime minister", "Benjamin Netanyahu", ("israeli prime minister",))
    assert not same_person("the French president", "Vladimir Putin", ("russian president", "president"))
    assert not same_person("the", "Vladimir Putin")
