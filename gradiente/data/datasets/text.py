"""Small text data sets for the attention family (seed 002 §4.8, §3.11).

- Numbers in digits and their Spanish words, for the translation Transformer
  ("1234" -> "mil doscientos treinta y cuatro"), made with the ``num2words``
  package (extra ``[data]``). Source tokens are the characters of the digits;
  target tokens are the words.
- A sentence set about the four architecture families of seed 000 §8 (dense,
  convolutional, recurrent, attention), labelled by family, written for the
  transfer-learning experiment: the test sentences say the same things as the
  training ones in other words.
- A character vocabulary for language models (GPT) on any text.
"""
from numbers import Integral

import numpy as _np

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)


def _num2words():
    try:
        from num2words import num2words
    except ImportError as exc:
        raise ImportError("the number-translation data needs the 'num2words' package: "
                          "pip install gradiente[data]") from exc
    return num2words


def spanish_words(n):
    """The Spanish words for the integer ``n`` (``num2words(n, lang="es")``)."""
    return _num2words()(int(n), lang="es")


class Vocab:
    """Token <-> id maps with ``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2."""

    def __init__(self, tokens):
        self.itos = list(SPECIALS) + sorted(set(tokens) - set(SPECIALS))
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    pad_id, bos_id, eos_id = 0, 1, 2

    def encode(self, tokens, length, bos=False):
        """Ids of ``tokens`` (+ ``<eos>``, after a ``<bos>`` if asked), padded with ``<pad>`` to ``length``."""
        try:
            ids = ([self.bos_id] if bos else []) + [self.stoi[t] for t in tokens] + [self.eos_id]
        except KeyError as exc:
            raise ValueError(f"Vocab.encode: token {exc.args[0]!r} is not in the vocabulary") from None
        if len(ids) > length:
            raise ValueError(f"Vocab.encode: {len(ids)} ids do not fit in length {length}")
        return ids + [self.pad_id] * (length - len(ids))

    def decode(self, ids):
        """Tokens up to the first ``<eos>``, without specials."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i >= len(SPECIALS):
                out.append(self.itos[i])
        return out


def number_translation_data(n_train=20000, n_test=1000, max_number=999_999, seed=0):
    """Pairs (digits, Spanish words) for translation, train and held-out test numbers disjoint.

    Returns a dict with ``src_vocab`` (characters ``0``-``9``), ``tgt_vocab``
    (Spanish number words), int64 arrays ``train_src``, ``train_tgt``,
    ``test_src``, ``test_tgt`` (targets start with ``<bos>`` and end with
    ``<eos>``), and the integers ``train_numbers`` and ``test_numbers``.
    """
    for name, v in (("n_train", n_train), ("n_test", n_test), ("max_number", max_number)):
        if not isinstance(v, Integral) or v < 1:
            raise ValueError(f"number_translation_data: {name} must be a positive int, got {v!r}")
    if n_train + n_test > max_number + 1:
        raise ValueError(f"number_translation_data: {n_train} + {n_test} numbers do not fit in 0..{max_number}")
    rng = _np.random.default_rng(seed)
    numbers = rng.choice(max_number + 1, size=n_train + n_test, replace=False)
    words = [spanish_words(n).split() for n in numbers]
    digits = [list(str(n)) for n in numbers]
    src_vocab = Vocab("0123456789")
    tgt_vocab = Vocab(w for ws in words for w in ws)
    src_len = max(len(d) for d in digits) + 1
    tgt_len = max(len(w) for w in words) + 2
    src = _np.array([src_vocab.encode(d, src_len) for d in digits], dtype=_np.int64)
    tgt = _np.array([tgt_vocab.encode(w, tgt_len, bos=True) for w in words], dtype=_np.int64)
    return {"src_vocab": src_vocab, "tgt_vocab": tgt_vocab,
            "train_src": src[:n_train], "train_tgt": tgt[:n_train], "test_src": src[n_train:],
            "test_tgt": tgt[n_train:], "train_numbers": numbers[:n_train], "test_numbers": numbers[n_train:]}


# ---------------------------------------------------------------------------- families
FAMILIES = ("dense", "convolutional", "recurrent", "attention")

_TRAIN = {
    "dense": [
        "Every neuron in a fully connected layer is linked to every neuron of the previous layer.",
        "A multilayer perceptron stacks dense layers with nonlinear activations.",
        "The output of a dense layer is a weighted sum of all its inputs plus a bias.",
        "An MLP works well on tabular data with a fixed number of features.",
        "A single perceptron cannot learn XOR, but a hidden layer solves it.",
        "The weight matrix of a linear layer has one row per output unit.",
        "Feed-forward networks map a feature vector straight to class scores.",
        "The universal approximation theorem says one wide hidden layer can fit any continuous function.",
        "Fully connected layers usually sit at the end of a classifier to produce the decision.",
        "Each hidden unit applies an activation like ReLU or sigmoid to its weighted input.",
    ],
    "convolutional": [
        "A convolution slides a small kernel across the image to detect local patterns.",
        "Convolutional filters share their weights at every position of the picture.",
        "Pooling layers downsample feature maps and make the network tolerant to small shifts.",
        "Early convolution layers find edges, deeper ones find textures and object parts.",
        "A CNN classifies photographs by building a hierarchy of spatial features.",
        "The number of output channels equals the number of filters in the layer.",
        "Stride and padding decide the height and width of the feature map.",
        "Residual connections let very deep convolutional networks train on ImageNet.",
        "LeNet read handwritten digits with two convolution and pooling stages.",
        "Because kernels are local, a convolution has far fewer parameters than a dense layer on pixels.",
    ],
    "recurrent": [
        "A recurrent network keeps a hidden state that it updates at every time step.",
        "The LSTM cell uses input, forget and output gates to control its memory.",
        "Backpropagation through time unrolls the recurrence over the whole sequence.",
        "Vanishing gradients make plain RNNs forget information from many steps ago.",
        "A GRU merges the forget and input gates into a single update gate.",
        "Recurrent models read a sentence one word after another, in order.",
        "The hidden state summarises everything the network has seen so far in the series.",
        "Sequence-to-sequence models with LSTMs were used for machine translation.",
        "An RNN cannot process the time steps in parallel because each depends on the previous one.",
        "Speech and time series are classic applications of recurrent networks.",
    ],
    "attention": [
        "Self-attention lets each token weigh every other token of the sequence.",
        "Queries are compared with keys, and the softmax of the scores weights the values.",
        "The scores are divided by the square root of the key dimension before the softmax.",
        "Multi-head attention runs several attention operations in parallel and concatenates them.",
        "A transformer adds positional encodings because attention ignores word order.",
        "The decoder masks future positions so a token cannot peek at what comes next.",
        "In cross-attention the queries come from the decoder and the keys from the encoder.",
        "Vision transformers split an image into patches and treat them as tokens.",
        "GPT is a stack of masked self-attention blocks trained to predict the next token.",
        "The cost of attention grows with the square of the sequence length.",
    ],
}

_TEST = {
    "dense": [
        "Every input value is multiplied by its own coefficient and everything is summed into each unit.",
        "Stacking a few of these all-to-all stages with a bend in between can carve curved class boundaries.",
        "For a spreadsheet of customer attributes, this plain model is a sensible first try.",
        "There is no notion of neighbourhood or order: the vector is treated as an unordered bag of numbers.",
        "Rosenblatt's single unit draws a straight line; adding intermediate units removes that limit.",
    ],
    "convolutional": [
        "Small learned stencils move across photos to spot corners and stripes.",
        "The same little detector is reused at every location, which saves a lot of memory.",
        "Taking the largest value in each two-by-two block halves the resolution.",
        "Recognising cats and cars in pictures is usually done with banks of these local detectors.",
        "Deeper stages respond to eyes, wheels and other pieces of things.",
    ],
    "recurrent": [
        "It reads the text token by token and carries a summary vector forward.",
        "Sigmoid switches choose what to keep and what to erase from the running summary.",
        "Training replays the loop across all positions and sends errors backwards through each of them.",
        "Long inputs are hard because the signal from the first words fades away.",
        "It consumes the audio frame by frame, strictly one after the other.",
    ],
    "attention": [
        "Every word looks at all the others and decides how much each one matters.",
        "A dot product between a question vector and each address vector gives the relevance.",
        "Several parallel lookups examine the text at once, each learning a different relation.",
        "With no loop at all, the whole text is handled in one go.",
        "A photo is cut into square tiles that are fed one after another as tokens to the model.",
    ],
}


def family_sentences(split="train"):
    """Sentences about the four architecture families and their labels (0 dense, 1 conv, 2 recurrent, 3 attention).

    ``split`` is ``"train"`` (40 sentences), ``"test"`` (20 paraphrases in
    other words) or ``"all"``. Returns ``(sentences, labels)`` with labels an
    int64 array; ``FAMILIES`` names the classes.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"family_sentences: split must be 'train', 'test' or 'all', got {split!r}")
    parts = {"train": [_TRAIN], "test": [_TEST], "all": [_TRAIN, _TEST]}[split]
    sentences, labels = [], []
    for part in parts:
        for label, fam in enumerate(FAMILIES):
            sentences += part[fam]
            labels += [label] * len(part[fam])
    return sentences, _np.array(labels, dtype=_np.int64)


def bag_of_words(train_sentences, other_sentences=()):
    """Word-count features (lower case, letters only) with the vocabulary of the training sentences."""
    import re

    def words(s):
        return re.findall(r"[a-z]+", s.lower())
    vocab = sorted({w for s in train_sentences for w in words(s)})
    index = {w: i for i, w in enumerate(vocab)}

    def featurise(sents):
        X = _np.zeros((len(sents), len(vocab)), dtype=_np.float32)
        for r, s in enumerate(sents):
            for w in words(s):
                if w in index:
                    X[r, index[w]] += 1
        return X
    return featurise(train_sentences), featurise(list(other_sentences)), vocab


# ---------------------------------------------------------------------------- characters
class CharVocab:
    """Character-level tokens for a language model (seed 002 §4.8: one token per character)."""

    def __init__(self, text):
        if not text:
            raise ValueError("CharVocab: the text is empty")
        self.itos = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, text):
        try:
            return _np.array([self.stoi[c] for c in text], dtype=_np.int64)
        except KeyError as exc:
            raise ValueError(f"CharVocab.encode: character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids):
        return "".join(self.itos[int(i)] for i in ids)


SAMPLE_TEXT = (
    "La red densa conecta cada neurona con todas las de la capa anterior. "
    "La red convolucional desliza filtros pequeños sobre la imagen y comparte sus pesos. "
    "La red recurrente lee la secuencia paso a paso y guarda un estado oculto. "
    "El transformer usa la atención: cada palabra mira a todas las demás a la vez. "
    "Las cuatro familias comparten el mismo núcleo: z = W a + b, a = f(z), una pérdida, "
    "la retropropagación y el descenso por gradiente. "
) * 8
