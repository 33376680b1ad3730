"""A second, semantic signal for key points: static word embeddings shipped inside the
`wordllama` wheel (no download), averaged per sentence and compared by cosine.

It only ever adds credit the regex signals missed, and only for a sentence that already
qualifies as an explanation (not bare, not negated, not copied, sharing a content word with
the point), so it raises recall on paraphrases without crediting term lists.

Loaded lazily on first use: `onsite --help` and `onsite rounds` never pay for it. When the
package or its files are missing, the signal is simply off.

Off by default: measured on the blind paraphrase set it raised recall from 86.4 % to 88.0 % but
false credit from 21.4 % to 23.8 %, and the fluent-but-wrong mean from 1.73 to 1.78 (static
embeddings cannot tell a right claim from a wrong one about the same thing). Opt in with
`grade_text(..., semantic_signal=True)` or `benchmarks/grader_agreement.py --semantic`.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_MODEL: Any = None
_TRIED = False

WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
"""wordllama 0.4.0.post1's loader looks for tokenizer/, the wheel ships tokenizers/: the two
files are read directly."""


def _load() -> Any:
    """The embedding model, or None when it cannot be loaded offline."""
    global _MODEL, _TRIED
    with _LOCK:
        if _TRIED:
            return _MODEL
        _TRIED = True
        try:
            import wordllama
            from safetensors import safe_open
            from tokenizers import Tokenizer
            from wordllama.inference import WordLlamaInference

            root = Path(wordllama.__file__).parent
            with safe_open(str(root / WEIGHTS), framework="np", device="cpu") as f:
                embedding = f.get_tensor("embedding.weight")
            tokenizer = Tokenizer.from_file(str(root / TOKENIZER))
            _MODEL = WordLlamaInference(embedding, tokenizer)
        except Exception:  # any failure means no semantic signal, never a crash
            _MODEL = None
        return _MODEL


def available() -> bool:
    return _load() is not None


def embed(texts: list[str]) -> Any:
    """Unit-normalised sentence vectors (numpy), one row per text."""
    model = _load()
    if model is None or not texts:
        return None
    return model.embed(texts, norm=True)


@cache
def _point_vectors(texts: tuple[str, ...]) -> Any:
    return embed(list(texts))


def similarities(sentences: list[str], points: tuple[str, ...]) -> Any:
    """Cosine of each sentence (rows) with each key point text (columns), or None."""
    if not sentences or not points:
        return None
    left = embed(sentences)
    right = _point_vectors(points)
    if left is None or right is None:
        return None
    return left @ right.T


THRESHOLD = 0.60
"""Cosine needed to credit a point: the 95th percentile of a dev-set sentence's best match
among all the key points of the other questions of its round (per pair it is far rarer)."""
MARGIN = 0.05
"""And clearly closer to this point than to any other point of the same question."""


def best_points(sentences: list[str], points: tuple[str, ...]) -> list[int | None]:
    """For each sentence, the index of the key point it paraphrases, if any."""
    sims = similarities(sentences, points)
    if sims is None:
        return [None] * len(sentences)
    out: list[int | None] = []
    for row in sims:
        order = row.argsort()[::-1]
        best = int(order[0])
        second = float(row[order[1]]) if len(order) > 1 else -1.0
        ok = float(row[best]) >= THRESHOLD and float(row[best]) - second >= MARGIN
        out.append(best if ok else None)
    return out
