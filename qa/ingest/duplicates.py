"""Reprints of the same story: MinHash signatures of word 5-shingles, banded for lookup.

Measured on real scraped news: copies of one story (a wire reprint, the same page saved twice)
share 80% or more of their shingles, while follow-ups on the same topic ("will crash" and then
"slammed into the asteroid") share about half; so the default threshold for "the same story" is 0.8.
"""

import hashlib

import numpy as np

from qa.text.words import words

SHINGLE_WORDS = 5
PERMUTATIONS = 128
BANDS = 32  # 4 rows a band: pairs at 0.8 similarity share a band with certainty, at 0.5 usually
PRIME = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1
_GENERATOR = np.random.default_rng(20221101)
_A = _GENERATOR.integers(1, PRIME, PERMUTATIONS, dtype=np.uint64)
_B = _GENERATOR.integers(0, PRIME, PERMUTATIONS, dtype=np.uint64)


def signature(text: str) -> np.ndarray:
    """128 minimum hashes (uint32); equal positions estimate the share of 5-word shingles in common."""
    # Every word counts, stopwords included: a shingle is five words in a row as the text has them.
    sequence = words(text)
    shingles = {" ".join(sequence[i : i + SHINGLE_WORDS]) for i in range(max(1, len(sequence) - SHINGLE_WORDS + 1))}
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little") for s in shingles),
        dtype=np.uint64, count=len(shingles),
    )
    # Overflowing uint64 arithmetic is intended: it scrambles like a permutation, as in datasketch.
    with np.errstate(over="ignore"):
        permuted = ((hashes[:, None] * _A + _B) % PRIME) & MAX_HASH
    return permuted.min(axis=0).astype(np.uint32)


def band_keys(minhash: np.ndarray) -> list[int]:
    """One key per band of rows; articles sharing a key are candidates for the same story."""
    rows = minhash.reshape(BANDS, -1)
    return [int.from_bytes(hashlib.blake2b(b"%d:" % band + row.tobytes(), digest_size=7).digest(), "little")
            for band, row in enumerate(rows)]


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.mean(first == second))
