"""The trained classifier: a spaCy pipeline on ``spacy.blank("id")`` with a bag-of-n-grams text categoriser.

How a text is scored:

1. :class:`NormalisingTokenizer` (the pipeline's tokenizer) reads the first
   :data:`~classifier.settings.MAX_CLASSIFY_CHARS` characters and turns them into normalised words
   (:func:`classifier.normalise.tokens`: slang, repeated letters, hashtags, mentions, URLs, numbers), plus a few
   structural marker tokens (a link, a mention, a question mark, many hashtags), so ``Jln rusakkk bgt!!`` and
   ``jalan rusak banget`` are the same document to the model.
2. The ``textcat`` pipe (``spacy.TextCatBOW.v3``: hashed unigrams and bigrams into a sparse linear layer, softmax
   over the six labels) gives raw probabilities. It is linear in the length of the text and needs no vectors.
3. The raw probabilities are *calibrated* by temperature scaling (``p ** (1/T)``, renormalised); ``T`` is fitted on a
   held-out part of the training corpus by :func:`train`. A model may mix them with the keyword baseline's scores
   (``keyword_weight`` in meta.json; the shipped model is trained with ``--keyword-weight 0.4``, see
   :data:`KEYWORD_WEIGHT` and classifier/README.md).
4. Evidence shrinkage: a text with fewer than :data:`EVIDENCE_WORDS` words the model saw in training (empty text,
   emoji only, another language) is pulled towards the uniform distribution, so it always comes out with low
   confidence. Shrinking towards uniform never changes which label is on top.
5. The category is the top label, except that ``not_complaint`` must reach ``dismiss_threshold`` (a setting, 0 by
   default): below it the most likely complaint label is answered, with its own low score as the confidence, so
   the message lands in the review queue instead of being dismissed (recall of complaints over precision).
   Confidence is the category's score; the runner-up is named when its score is at least :data:`RUNNER_UP_RATIO`
   of the category's.

A model directory holds three files (so that it ships as plain package data): ``config.cfg`` (the spaCy config),
``model.bin`` (``nlp.to_bytes()``) and ``meta.json`` (version, temperature, known words, training summary).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch
from spacy.vocab import Vocab
from thinc.api import Config

from classifier.errors import ClassifierError
from classifier.keywords import KeywordClassifier, Prediction
from classifier.lexicon import FUNCTION_WORDS
from classifier.normalise import tokens, vocabulary
from classifier.settings import MAX_CLASSIFY_CHARS
from config.categories import LABELS, NOT_COMPLAINT

__all__ = [
    "DEFAULT_MODEL_DIR",
    "EVIDENCE_WORDS",
    "RUNNER_UP_RATIO",
    "ModelError",
    "NormalisingTokenizer",
    "TextClassifier",
    "TrainResult",
    "build_nlp",
    "load_model",
    "save_model",
    "train",
]

#: The model shipped with jemput (package data: config.cfg, model.bin, meta.json).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "data"
MODEL_NAME = "jemput-textcat"
#: Bumped when the architecture or the corpus format changes; the corpus hash is appended to every version.
MODEL_SERIES = "1"
#: A text needs this many words known from training to be scored at full confidence.
EVIDENCE_WORDS = 2
#: The second label is reported when its score is at least this share of the top score.
RUNNER_UP_RATIO = 0.5
#: Hash buckets of the bag-of-n-grams layer (x 6 labels x 4 bytes: the size of model.bin).
NGRAM_BUCKETS = 2**17
NGRAM_SIZE = 2

_CONFIG_FILE, _WEIGHTS_FILE, _META_FILE = "config.cfg", "model.bin", "meta.json"
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
_MENTION = re.compile(r"@\w")
_HASHTAG = re.compile(r"#\w")
#: Marker tokens the tokenizer appends; they cannot collide with normalised words (those are alphanumeric).
MARK_LINK, MARK_MENTION, MARK_QUESTION, MARK_HASHTAGS, MARK_EXCLAIM = "<link>", "<at>", "<q>", "<tags>", "<!>"
MARK_NUMBER = "<num>"
MARK_UNKNOWN = "<unk>"
#: The one token of a text with nothing else to read (a model without keyword features would get an empty doc).
MARK_EMPTY = "<empty>"
#: ``doc.user_data`` key set on a text that reads as another language (see :func:`foreign`).
FOREIGN_KEY = "jemput_foreign"
#: A text in another language is trusted this much at most (evidence shrinkage towards uniform).
FOREIGN_TRUST = 0.4
#: ``doc.user_data`` key of the number of words in the document the model was trained on.
KNOWN_KEY = "jemput_known_words"
#: ``doc.user_data`` key of the keyword baseline's scores (in LABELS order).
KEYWORD_KEY = "jemput_keyword_scores"
#: Default weight of the keyword baseline's scores in the final mixture (``train(keyword_weight=...)``; the model's
#: calibrated scores get the rest). 0 for a model trained on an operator's own data unless asked; the shipped model
#: is trained with 0.4, chosen on the *dev* split of the hand-labelled real tweets (981 tweets, 211 complaints):
#: "is a complaint" recall 0.56-0.59 -> 0.67-0.69 over three seeds at the same macro-F1.
KEYWORD_WEIGHT = 0.0
#: The keyword baseline's verdict is added as a feature token; a confident verdict adds a second one.
KEYWORD_STRONG = 0.6


class ModelError(ClassifierError):
    """A model directory is missing, incomplete or unreadable."""


# -- the tokenizer -------------------------------------------------------------------------------------------------
class NormalisingTokenizer:
    """spaCy tokenizer: normalised words of the text's first ``max_chars`` characters, then marker tokens."""

    def __init__(self, vocab: Vocab, max_chars: int = MAX_CLASSIFY_CHARS, keyword_features: bool = True) -> None:
        self.vocab = vocab
        self.max_chars = max_chars
        self.keyword_features = keyword_features
        self._keywords = KeywordClassifier(max_chars=max_chars) if keyword_features else None
        #: Words the model was trained on (set by the loader). When set, any other word becomes
        #: :data:`MARK_UNKNOWN`: the model has no weight for it anyway, and the vocabulary stays bounded in a
        #: long-running stage.
        self.known_words: frozenset[str] = frozenset()

    def words(self, text: str) -> list[str]:
        """The tokens the model reads for ``text`` (before unknown words are masked)."""
        return self.analyse(text)[0]

    def analyse(self, text: str) -> tuple[list[str], tuple[float, ...] | None]:
        """The tokens of ``text`` and the keyword baseline's scores (LABELS order; None without keyword features)."""
        text = text[: self.max_chars]
        normal = tokens(text)
        # numbers become one shape token (a route number must not read as a topic); single letters are noise
        words = [MARK_NUMBER if w.isdigit() else w for w in normal if len(w) > 1 or w.isdigit()]
        keyword_scores = None
        if self._keywords is not None:
            kw = self._keywords.classify_tokens(normal, text)
            words.append(f"<kw:{kw.category}>")
            if kw.confidence >= KEYWORD_STRONG:
                words.append(f"<kw:{kw.category}:strong>")
            keyword_scores = tuple(kw.scores[label] for label in LABELS)
        if ("http" in text or "www." in text) and _LINK.search(text):
            words.append(MARK_LINK)
        if "@" in text and _MENTION.search(text):
            words.append(MARK_MENTION)
        if "?" in text:
            words.append(MARK_QUESTION)
        if "!" in text:
            words.append(MARK_EXCLAIM)
        if text.count("#") >= 3 and len(_HASHTAG.findall(text)) >= 3:
            words.append(MARK_HASHTAGS)
        if not words:
            words.append(MARK_EMPTY)
        return words, keyword_scores

    def __call__(self, text: str) -> Doc:
        words, keyword_scores = self.analyse(text)
        is_foreign = foreign(words)
        known = self.known_words
        if known:
            n_known = 0
            for i, w in enumerate(words):
                if w in known:
                    n_known += 1
                elif w[0] != "<":
                    words[i] = MARK_UNKNOWN
        else:
            n_known = sum(1 for w in words if w[0] != "<")
        doc = Doc(self.vocab, words=words)
        doc.user_data[KNOWN_KEY] = n_known
        if is_foreign:
            doc.user_data[FOREIGN_KEY] = True
        if keyword_scores is not None:
            doc.user_data[KEYWORD_KEY] = keyword_scores
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    # The tokenizer has no state of its own: serialisation is a no-op (spaCy calls these on save and load).
    def to_bytes(self, **_kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_kwargs: Any) -> NormalisingTokenizer:
        return self

    def to_disk(self, _path: Any, **_kwargs: Any) -> None:
        return None

    def from_disk(self, _path: Any, **_kwargs: Any) -> NormalisingTokenizer:
        return self


@spacy.registry.tokenizers("jemput.normalising_tokenizer.v1")
def create_normalising_tokenizer(
    max_chars: int = MAX_CLASSIFY_CHARS, keyword_features: bool = True
) -> Callable[[Any], NormalisingTokenizer]:
    def make(nlp: Any) -> NormalisingTokenizer:
        return NormalisingTokenizer(nlp.vocab, max_chars=max_chars, keyword_features=keyword_features)

    return make


def build_nlp(
    ngram_size: int = NGRAM_SIZE, buckets: int = NGRAM_BUCKETS, keyword_features: bool = True
) -> spacy.language.Language:
    """A blank Indonesian pipeline with the normalising tokenizer and an untrained exclusive ``textcat``."""
    tokenizer = {"@tokenizers": "jemput.normalising_tokenizer.v1", "keyword_features": keyword_features}
    nlp = spacy.blank("id", config={"nlp": {"tokenizer": tokenizer}})
    textcat = nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": True,
                "ngram_size": ngram_size,
                "no_output_layer": False,
                "length": buckets,
            }
        },
    )
    for label in LABELS:
        textcat.add_label(label)
    return nlp


# -- saving and loading ----------------------------------------------------------------------------------------------
def save_model(nlp: spacy.language.Language, meta: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / _CONFIG_FILE).write_text(nlp.config.to_str(), encoding="utf-8")
    (out / _WEIGHTS_FILE).write_bytes(nlp.to_bytes(exclude=["tokenizer"]))
    (out / _META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                  encoding="utf-8")


def load_model(model_dir: Path | None = None) -> tuple[spacy.language.Language, dict[str, Any]]:
    """The pipeline and meta data in ``model_dir`` (default: the shipped model). Reads local files only."""
    path = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    missing = [f for f in (_CONFIG_FILE, _WEIGHTS_FILE, _META_FILE) if not (path / f).is_file()]
    if missing:
        raise ModelError(f"no classifier model in {path} (missing {', '.join(missing)}); "
                         "train one with 'jemput classifier train'")
    try:
        config = Config().from_str((path / _CONFIG_FILE).read_text(encoding="utf-8"))
        nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
        nlp.from_bytes((path / _WEIGHTS_FILE).read_bytes(), exclude=["tokenizer"])
        meta = json.loads((path / _META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot read the classifier model in {path}: {exc}") from exc
    if tuple(nlp.get_pipe("textcat").labels) != LABELS:
        raise ModelError(f"model in {path} has labels {nlp.get_pipe('textcat').labels}, expected {LABELS}")
    return nlp, meta


# -- scoring ------------------------------------------------------------------------------------------------------------
def calibrate(raw: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling of probability rows: ``p ** (1/T)`` renormalised (softmax of ``log p / T``)."""
    logp = np.log(np.clip(raw, 1e-12, 1.0)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


def shrink(p: np.ndarray, known: np.ndarray, evidence_words: int = EVIDENCE_WORDS,
           trust: np.ndarray | None = None) -> np.ndarray:
    """Pull rows with little known evidence towards uniform: weight ``min(1, known / evidence_words, trust)``.

    The order of the labels in a row does not change, only how sure the answer is.
    """
    alpha = np.minimum(1.0, known.astype(np.float64) / float(evidence_words))
    if trust is not None:
        alpha = np.minimum(alpha, trust)
    alpha = alpha[:, None]
    return alpha * p + (1.0 - alpha) / p.shape[1]


def foreign(words: Sequence[str], min_words: int = 4) -> bool:
    """True when the normalised ``words`` of a text hold at least ``min_words`` words and not one Indonesian word
    the classifier knows (its lexicon, slang and rule words, or :data:`classifier.lexicon.FUNCTION_WORDS`): the
    text is in another language."""
    known = vocabulary()
    plain = 0
    for w in words:
        if w[0] != "<" and w.isalpha():
            if w in known or w in FUNCTION_WORDS:
                return False  # (most texts: one of their first words)
            plain += 1
    return plain >= min_words


#: Ties (only a text with no evidence at all is exactly uniform) go to not_complaint, then in label order.
_TIE_ORDER = np.array([1 if label == NOT_COMPLAINT else 0 for label in LABELS], dtype=np.float64) * 1e-9


_NC = LABELS.index(NOT_COMPLAINT)


def _predictions(p: np.ndarray, dismiss_threshold: float = 0.0) -> list[Prediction]:
    """The prediction of every row of ``p`` (label scores), with one sort for the whole batch.

    The category is the top label, except that ``not_complaint`` under ``dismiss_threshold`` (and above uniform)
    gives way to the most likely complaint label, with that label's own low score as the confidence; ties go to
    ``not_complaint``, then in label order; the runner-up is named when its score is at least
    :data:`RUNNER_UP_RATIO` of the top one's."""
    if not len(p):
        return []
    orders = np.argsort(-(p + _TIE_ORDER), axis=1, kind="stable").tolist()
    rows = p.tolist()  # Python floats: the same values float(row[i]) gives
    n_labels = p.shape[1]
    out = []
    for row, order in zip(rows, orders, strict=True):
        if order[0] == _NC and row[_NC] < dismiss_threshold and row[_NC] > 1.0 / n_labels:
            order = [order[1], order[0], *order[2:]]
        top, second = order[0], order[1]
        runner = LABELS[second] if row[second] >= RUNNER_UP_RATIO * row[top] else None
        out.append(Prediction(category=LABELS[top], scores=dict(zip(LABELS, row, strict=True)), confidence=row[top],
                              runner_up=runner))
    return out


class TextClassifier:
    """The trained model behind the classifier stage, ``jemput classify`` and ``jemput classifier eval``."""

    def __init__(self, model_dir: Path | None = None, dismiss_threshold: float = 0.0) -> None:
        #: ``not_complaint`` is only answered when its score reaches this (0: plain argmax); see
        #: ``classifier.dismiss_threshold`` in the settings.
        self.dismiss_threshold = dismiss_threshold
        self.nlp, self.meta = load_model(model_dir)
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        self.textcat = self.nlp.get_pipe("textcat")
        self.tokenizer: NormalisingTokenizer = self.nlp.tokenizer
        self.temperature = float(self.meta.get("temperature", 1.0))
        self.keyword_weight = float(self.meta.get("keyword_weight", 0.0)) if self.tokenizer.keyword_features else 0.0
        self._uniform = (1.0 / len(LABELS),) * len(LABELS)
        self.known_words = frozenset(self.meta.get("known_words", ()))
        self.tokenizer.known_words = self.known_words
        self.model_version: str = self.meta["version"]

    def describe(self) -> str:
        t = self.meta.get("training", {})
        return (f"{self.model_version}: spaCy TextCatBOW (n-grams 1..{self.meta.get('ngram_size', NGRAM_SIZE)}), "
                f"{t.get('examples', '?')} training examples, temperature {self.temperature:.2f}")

    def _score_docs(self, docs: Sequence[Doc], raw: np.ndarray) -> list[Prediction]:
        known = np.fromiter((d.user_data.get(KNOWN_KEY, 0) for d in docs), dtype=np.int64, count=len(docs))
        p = calibrate(np.asarray(raw, dtype=np.float64), self.temperature)
        if self.keyword_weight > 0:
            kw = np.array([d.user_data.get(KEYWORD_KEY) or self._uniform for d in docs], dtype=np.float64)
            p = (1.0 - self.keyword_weight) * p + self.keyword_weight * kw
        trust = np.fromiter((FOREIGN_TRUST if d.user_data.get(FOREIGN_KEY) else 1.0 for d in docs),
                            dtype=np.float64, count=len(docs))
        p = shrink(p, known, trust=trust)
        return _predictions(p, self.dismiss_threshold)

    def classify_many(self, texts: Iterable[str], batch_size: int = 1000, n_process: int = 1) -> Iterator[Prediction]:
        """Predictions for ``texts`` in order, a batch at a time (one ``textcat.predict`` per batch).

        ``n_process > 1`` classifies batches in that many worker processes (each loads the model once) and yields
        the answers in input order; only a few batches are in flight at a time.
        """
        if n_process > 1:
            yield from self._classify_parallel(texts, batch_size, n_process)
            return
        for batch in minibatch(texts, size=batch_size):
            yield from self.classify_batch(batch)

    def classify_batch(self, batch: Sequence[str]) -> list[Prediction]:
        """Predictions for one batch: tokenise every text, one ``textcat.predict`` over the docs."""
        docs = [self.tokenizer(t) for t in batch]
        if not docs:
            return []
        return self._score_docs(docs, self.textcat.predict(docs))

    def _classify_parallel(self, texts: Iterable[str], batch_size: int, n_process: int) -> Iterator[Prediction]:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(n_process, initializer=_worker_init,
                      initargs=(str(self.model_dir), self.dismiss_threshold)) as pool:
            for answers in pool.imap(_worker_classify, (list(b) for b in minibatch(texts, size=batch_size))):
                yield from answers

    def classify(self, text: str) -> Prediction:
        return next(self.classify_many([text], batch_size=1))


_WORKER: TextClassifier | None = None


def _worker_init(model_dir: str, dismiss_threshold: float) -> None:
    global _WORKER
    _WORKER = TextClassifier(Path(model_dir), dismiss_threshold)


def _worker_classify(batch: list[str]) -> list[Prediction]:
    if _WORKER is None:
        raise ModelError("classifier worker started without a model")
    return _WORKER.classify_batch(batch)


# -- training ------------------------------------------------------------------------------------------------------------
@dataclass
class TrainResult:
    nlp: spacy.language.Language
    meta: dict[str, Any]


def corpus_hash(examples: Sequence[tuple[str, str]]) -> str:
    h = hashlib.sha1()
    for text, label in examples:
        h.update(text.encode("utf-8"))
        h.update(b"\x00")
        h.update(label.encode("utf-8"))
        h.update(b"\x01")
    return h.hexdigest()[:8]


def _split(examples: Sequence[tuple[str, str, str | None]], share: float, rng: random.Random):
    """Stratified hold-out of about ``share`` of each label.

    Examples that name a group (the corpus frame they were built from) are held out group by group, so the
    held-out part is not made of near-copies of trained examples; the others are held out one by one.
    """
    units: dict[str, list[list[tuple[str, str, str | None]]]] = {}
    grouped: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
    for ex in examples:
        if ex[2]:
            grouped.setdefault((ex[1], ex[2]), []).append(ex)
        else:
            units.setdefault(ex[1], []).append([ex])
    for (label, _group), items in sorted(grouped.items()):
        units.setdefault(label, []).append(items)
    train, held = [], []
    for label in sorted(units):
        items = units[label][:]
        rng.shuffle(items)
        total = sum(len(u) for u in items)
        target = total * share if total >= 5 else 0
        taken = 0
        for unit in items:
            if taken < target and taken + len(unit) <= max(target * 1.5, 1) and len(items) > 1:
                held.extend(unit)
                taken += len(unit)
            else:
                train.extend(unit)
    return train, held


def fit_temperature(raw: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of ``gold`` (label indices) on held-out rows."""
    best_t, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.2), math.log(8.0), 121)):
        p = calibrate(raw, float(t))
        nll = -float(np.mean(np.log(np.clip(p[np.arange(len(gold)), gold], 1e-12, 1.0))))
        if nll < best_nll - 1e-12:
            best_t, best_nll = float(t), nll
    return best_t


def train(
    examples: Sequence[tuple[str, str] | tuple[str, str, str | None]],
    *,
    seed: int = 0,
    epochs: int = 8,
    batch_size: int = 64,
    learn_rate: float = 0.001,
    calibration_share: float = 0.15,
    keyword_features: bool = True,
    keyword_weight: float = KEYWORD_WEIGHT,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train a model on ``(text, label)`` pairs; the same examples and seed give the same model.

    An example may carry a third element, its group (see :func:`_split`). ``calibration_share`` of each label is
    held out (seeded) to fit the temperature and report accuracy; the categoriser itself is trained on the rest.
    """
    say = progress or (lambda _m: None)
    examples = [(ex[0], ex[1], ex[2] if len(ex) > 2 else None) for ex in examples]
    bad = sorted({ex[1] for ex in examples} - set(LABELS))
    if bad:
        raise ClassifierError(f"unknown label(s) {bad}; expected one of {list(LABELS)}")
    if len(examples) < len(LABELS):
        raise ClassifierError(f"need at least {len(LABELS)} training examples, got {len(examples)}")
    spacy_log = logging.getLogger("spacy")
    level = spacy_log.level
    spacy_log.setLevel(max(level, logging.WARNING))  # spaCy's "Created vocabulary" lines say nothing here
    try:
        return _train(examples, seed, epochs, batch_size, learn_rate, calibration_share, keyword_features,
                      keyword_weight, say)
    finally:
        spacy_log.setLevel(level)


def _train(examples, seed, epochs, batch_size, learn_rate, calibration_share, keyword_features, keyword_weight,
           say) -> TrainResult:
    if not 0.0 <= keyword_weight <= 1.0:
        raise ClassifierError(f"keyword_weight must be between 0 and 1, got {keyword_weight}")
    fix_random_seed(seed)
    rng = random.Random(seed)
    train_set, held = _split(examples, calibration_share, rng)
    nlp = build_nlp(keyword_features=keyword_features)
    from thinc.api import Adam

    def to_example(text: str, label: str) -> Example:
        return Example.from_dict(nlp.make_doc(text), {"cats": {lab: float(lab == label) for lab in LABELS}})

    train_egs = [to_example(t, lab) for t, lab, _ in train_set]
    nlp.initialize(lambda: train_egs[:200])
    optimizer = Adam(learn_rate)
    for epoch in range(1, epochs + 1):
        rng.shuffle(train_egs)
        losses: dict[str, float] = {}
        for batch in minibatch(train_egs, size=batch_size):
            nlp.update(batch, sgd=optimizer, losses=losses)
        say(f"epoch {epoch}/{epochs}: loss {losses.get('textcat', 0.0):.4f}")

    known = Counter(w for t, _, _ in train_set for w in nlp.tokenizer.words(t) if w[0] != "<")
    nlp.tokenizer.known_words = frozenset(known)
    temperature, held_acc = 1.0, None
    if held:
        textcat = nlp.get_pipe("textcat")
        raw = np.asarray(textcat.predict([nlp.make_doc(t) for t, _, _ in held]), dtype=np.float64)
        gold = np.array([LABELS.index(lab) for _, lab, _ in held])
        temperature = fit_temperature(raw, gold)
        held_acc = float(np.mean(raw.argmax(axis=1) == gold))
        say(f"held-out ({len(held)} examples): accuracy {held_acc:.3f}, temperature {temperature:.2f}")
    digest = corpus_hash([(t, lab) for t, lab, _ in examples])
    meta = {
        "name": MODEL_NAME,
        "version": f"{MODEL_NAME}-{MODEL_SERIES}+{digest}.s{seed}" + (f".kw{keyword_weight:g}" if keyword_weight else ""),
        "labels": list(LABELS),
        "ngram_size": NGRAM_SIZE,
        "temperature": round(temperature, 4),
        "keyword_weight": keyword_weight if keyword_features else 0.0,
        "known_words": sorted(known),
        "training": {
            "examples": len(examples),
            "trained_on": len(train_set),
            "held_out": len(held),
            "held_out_accuracy": held_acc,
            "label_counts": dict(sorted(Counter(ex[1] for ex in examples).items())),
            "seed": seed,
            "epochs": epochs,
            "corpus_sha1": digest,
            "spacy": spacy.__version__,
        },
    }
    return TrainResult(nlp, meta)
