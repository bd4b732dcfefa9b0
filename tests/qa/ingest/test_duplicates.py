from qa.ingest.duplicates import band_keys, signature, similarity

STORY = " ".join(f"The council voted on measure {i} after a long debate about the city budget." for i in range(30))


def test_reprints_are_similar_and_other_stories_are_not() -> None:
    reprint = "From the wire: " + STORY + " Copyright the wire."
    other = " ".join(f"The storm flooded street {i} and closed the harbour for the week." for i in range(30))
    assert similarity(signature(STORY), signature(reprint)) >= 0.8
    assert similarity(signature(STORY), signature(other)) < 0.1


def test_reprints_share_a_band_key() -> None:
    reprint = STORY.replace("long", "lengthy", 1)
    assert set(band_keys(signature(STORY))) & set(band_keys(signature(reprint)))


def test_signatures_are_stable_across_runs() -> None:
    assert signature("a b c d e f").tolist() == signature("a b c d e f").tolist()
    assert len(band_keys(signature("short"))) == 32
