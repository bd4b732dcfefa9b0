"""Counting a text's word pieces, which chunking does many times per chunk.

A BERT tokenizer never lets a word piece span whitespace, so a text's count is the sum of its
whitespace-separated words' counts; and news repeats its words, so each distinct word is
tokenized once and remembered. Other tokenizers are asked for the whole text each time."""

import threading

from tokenizers import Tokenizer

# About 30 MB at most: a newsroom's vocabulary, names included, stays well under it.
MAX_CACHED_WORDS = 500_000
PER_WORD_PRE_TOKENIZERS = ("BertPreTokenizer",)


class TokenCounter:
    def __init__(self, tokenizer: Tokenizer) -> None:
        # A private copy without truncation or padding, so long text is counted in full.
        self._tokenizer = Tokenizer.from_str(tokenizer.to_str())
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._per_word = type(self._tokenizer.pre_tokenizer).__name__ in PER_WORD_PRE_TOKENIZERS
        self._words: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, text: str) -> int:
        if not self._per_word:
            return self._whole(text)
        words = self._words
        total = 0
        for word in text.split():
            count = words.get(word)
            if count is None:
                count = self._remember(word)
            total += count
        return total

    def _whole(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def _remember(self, word: str) -> int:
        count = self._whole(word)
        with self._lock:
            if len(self._words) >= MAX_CACHED_WORDS:
                self._words.clear()
            self._words[word] = count
        return count
