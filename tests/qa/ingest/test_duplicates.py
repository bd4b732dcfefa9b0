import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path


from qa.ingest.duplicates import BANDS, band_keys, signature, similarity

REPO = Path(__file__).resolve().parents[3]
STORY = " ".join(f"The council voted on measure {i} after a long debate about the city budget." for i in range(30))
# The index stores each article's fingerprint and band keys and looks reprints up by them later: a run,
# machine or Python version that computed others would no longer find the stories stored before it.
# Computed once, with the code of commit 3aa52b5.
PINNED_TEXT = "Zürich's council voted 51 to 49 on Tuesday to repair the old harbour bridge before winter."
PINNED = (
    "e7804faa2c3728389a836e2cb532ded934a4b0c8863d4787027bd3eebfb17a91",
    [345309622, 76004536, 227477649, 55918055, 88234806, 63238678, 77031764, 9513859],
    [28579362874127218, 21670918599299935, 62983246845006140, 13360739370059586, 9715014897559444,
     45701262101023641, 8890571161467475, 69973314470681846, 63964271818368222, 34124957454680123,
     20888440352597523, 57204950960621644, 14049516015905179, 8013537844944942, 8536508436712154,
     16228302144049327, 12480082115895329, 17833375328954757, 21735704464888563, 31665974692925017,
     60578802246605847, 32875807520444675, 27732485283935317, 30325801953083937, 31718850601005610,
     12412844403317141, 62603546367870359, 67430693740891532, 27429774581632910, 31423023336843071,
     33254337201693497, 45868016990633670],
)


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


def fingerprint_of(text: str) -> tuple[str, list[int], list[int]]:
    """What the index stores of an article's story, as the digest of its fingerprint's bytes, the first
    of its minimum hashes, and its band keys."""
    minhash = signature(text)
    return hashlib.sha256(minhash.tobytes()).hexdigest(), minhash[:8].tolist(), band_keys(minhash)


def test_fingerprints_are_the_ones_stored_by_earlier_runs() -> None:
    assert fingerprint_of(PINNED_TEXT) == PINNED


def test_fingerprints_do_not_depend_on_pythons_salted_hash() -> None:
    script = (
        "import json, sys; from tests.qa.ingest.test_duplicates import PINNED_TEXT, fingerprint_of; "
        "json.dump(fingerprint_of(PINNED_TEXT), sys.stdout)"
    )
    for seed in ("1", "4242"):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO,
                             env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)})
        assert tuple(json.loads(run.stdout)) == PINNED, f"PYTHONHASHSEED={seed}"


def test_every_text_has_one_key_a_band() -> None:
    assert len(band_keys(signature("short"))) == BANDS
