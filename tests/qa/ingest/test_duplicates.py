import hashlib

from qa.ingest.duplicates import band_keys, signature, similarity

STORY = " ".join(f"The council voted on measure {i} after a long debate about the city budget." for i in range(30))


def test_signatures_are_those_stored_in_indexes() -> None:
    # Signatures are stored with every article: accents, "_" and a capital that lower-cases to two
    # characters must read as they did when they were stored.
    text = "Pérez told İstanbul’s covid_19 panel: O'Neill-Smith paid $5,000 in 2023."
    stored = "9e0b5d3370e70fc315a6eae755078ff98e2b0122988984e483b01357b83ec375"
    assert hashlib.sha256(signature(text).tobytes()).hexdigest() == stored


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
