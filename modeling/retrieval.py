"""The persona's own replies, found by the message they answered (TF-IDF over words).

Retrieve and refine (Weston et al. 2018): the best match's reply travels with the context into
the encoder, so the model can copy what fits and ignore what does not. In training each pair
gets the nearest *other* pair's reply, never its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ingestion.records import Pair

# Similarity entries per product (rows x pairs) while a training set is matched against itself:
# common words make the products nearly dense, so memory stays bounded by this.
MAX_ENTRIES = 4_000_000


def query(context: Sequence[tuple[str, str]]) -> str:
    """What a reply is looked up by: the message it answers."""
    return context[-1][1] if context else ""


class ReplyIndex:
    def __init__(self, pairs: Sequence[Pair]):
        self.pairs = list(pairs)
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
                                          token_pattern=r"(?u)\b\w+\b|[^\w\s]")
        try:
            # Terms x pairs, so a lookup touches only the rows of the query's own terms.
            self.by_term = self.vectorizer.fit_transform(
                [query(p.context) for p in self.pairs]).T.tocsr()
        except ValueError:  # no words at all (emoji-only chats): nothing can be matched
            self.by_term = None

    def best(self, contexts: Sequence[Sequence[tuple[str, str]]], exclude_self: bool = False
             ) -> list[tuple[int, float] | None]:
        """Per context: (index of the best pair, cosine similarity), or None without a match.
        exclude_self: context i is the index's own pair i (training), which never matches."""
        if self.by_term is None or not self.pairs:
            return [None] * len(contexts)
        found: list[tuple[int, float] | None] = []
        chunk = max(1, MAX_ENTRIES // len(self.pairs))
        for start in range(0, len(contexts), chunk):
            part = contexts[start:start + chunk]
            # Sparse scores: only pairs sharing a term with the query are ever touched.
            scores = (self.vectorizer.transform([query(c) for c in part]) @ self.by_term).tocsr()
            for row in range(len(part)):
                begin, end = scores.indptr[row], scores.indptr[row + 1]
                columns, values = scores.indices[begin:end], scores.data[begin:end]
                if exclude_self:
                    values = np.where(columns == start + row, 0.0, values)
                best = int(np.argmax(values)) if len(values) else -1
                found.append((int(columns[best]), float(values[best]))
                             if best >= 0 and values[best] > 0 else None)
        return found

    def replies(self, contexts, exclude_self: bool = False) -> list[str | None]:
        return [None if hit is None else self.pairs[hit[0]].response
                for hit in self.best(contexts, exclude_self)]
