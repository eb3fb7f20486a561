"""Generated sequence tasks for recurrent networks (seed 000 §6; seed 001; seed 002 §4.5-§4.7).

* :func:`adding_problem` (Hochreiter & Schmidhuber, 1997): the long-range
  memory test. Each step holds (value, marker); the target is the sum of the
  two marked values. Predicting the mean, 1, gives MSE = Var(U1 + U2) = 1/6.
* :func:`copy_task`: remember a string of symbols through a stretch of blanks
  and write it back.
* :func:`sines`: a noisy sum of sines, to forecast the next value from the
  past (seed 001's latent-variable model, h_t = g(h_{t-1}, x_{t-1})).
* :func:`digit_rows` and :func:`mnist1d_sequences`: classification of a
  sequence, images read row by row and the 40 samples of MNIST-1D one by one.
* :func:`char_lm_windows` with :func:`default_corpus`: next-character
  prediction for an autoregressive language model (seed 001).

Every generator draws from gradiente's seeded generator unless a
``random_state`` is given, and returns float32 inputs, batch first.
"""
from numbers import Integral

import numpy as _np

from ...random import resolve_generator
from ...tensor import Tensor, get_default_dtype


def _positive(fn, name, value, minimum=1):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{fn}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _wrap(a, dtype=None):
    a = _np.ascontiguousarray(a, dtype=dtype or get_default_dtype())
    return Tensor._wrap(a, False, None, 0)


def adding_problem(n_samples, seq_len, random_state=None):
    """``(X, y)``: X (n, T, 2) of (value in U(0, 1), marker in {0, 1}), y (n, 1) the sum of the marked values.

    One marker falls in the first half of the sequence and one in the second
    half, so the model must carry the first value across at least T/2 steps.
    The constant prediction 1 has expected MSE 1/6 (about 0.167).
    """
    n = _positive("adding_problem", "n_samples", n_samples)
    T = _positive("adding_problem", "seq_len", seq_len, 2)
    rng = resolve_generator(random_state)
    values = rng.random((n, T))
    first = rng.integers(0, T // 2, n)
    second = rng.integers(T // 2, T, n)
    markers = _np.zeros((n, T))
    rows = _np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = _np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second])[:, None]
    return _wrap(X), _wrap(y)


def copy_task(n_samples, n_symbols=8, length=10, delay=20, random_state=None):
    """The copy / memory task: read ``length`` symbols, wait ``delay`` blanks, write them back.

    Returns ``(X, y)``: X (n, T, n_symbols + 2) one-hot inputs, y (n, T) int64
    targets, with T = 2 * length + delay + 1. Input channel ``n_symbols`` is
    the blank and ``n_symbols + 1`` the "write now" cue at step length + delay;
    the target is the blank (class ``n_symbols``) except on the last
    ``length`` steps, where it is the string read at the start. Guessing the
    blank everywhere and a random symbol at the end leaves a cross-entropy of
    length * ln(n_symbols) / T per step.
    """
    n = _positive("copy_task", "n_samples", n_samples)
    K = _positive("copy_task", "n_symbols", n_symbols)
    L = _positive("copy_task", "length", length)
    D = _positive("copy_task", "delay", delay, 0)
    rng = resolve_generator(random_state)
    T = 2 * L + D + 1
    symbols = rng.integers(0, K, (n, L))
    inp = _np.full((n, T), K, dtype=_np.int64)
    inp[:, :L] = symbols
    inp[:, L + D] = K + 1
    target = _np.full((n, T), K, dtype=_np.int64)
    target[:, T - L:] = symbols
    X = _np.eye(K + 2)[inp]
    return _wrap(X), Tensor._wrap(target, False, None, 0)


def sines(n_samples, seq_len, n_components=3, noise=0.05, random_state=None):
    """Forecasting: ``(X, Y)`` with X (n, T, 1) a noisy sum of sines and Y (n, T, 1) the next values.

    Each series sums ``n_components`` sines of random period (8 to 40 steps),
    phase and amplitude, scaled to about unit range, plus Gaussian ``noise``;
    Y[t] = X[t + 1] (seed 001: predict x_t from the state h_t built from x_{<t}).
    """
    n = _positive("sines", "n_samples", n_samples)
    T = _positive("sines", "seq_len", seq_len)
    k = _positive("sines", "n_components", n_components)
    if noise < 0:
        raise ValueError(f"sines: noise must be >= 0, got {noise}")
    rng = resolve_generator(random_state)
    t = _np.arange(T + 1)[None, None, :]
    period = rng.uniform(8, 40, (n, k, 1))
    phase = rng.uniform(0, 2 * _np.pi, (n, k, 1))
    amp = rng.uniform(0.3, 1.0, (n, k, 1))
    s = (amp * _np.sin(2 * _np.pi * t / period + phase)).sum(axis=1) / _np.sqrt(k)
    s = s + noise * rng.standard_normal(s.shape)
    return _wrap(s[:, :-1, None]), _wrap(s[:, 1:, None])


def digit_rows(normalize=True):
    """The 8x8 digits read row by row: X (1797, 8, 8) (8 steps of 8 pixels), y (1797,) labels.

    Needs scikit-learn, which ships the images (``pip install gradiente[data]``).
    """
    from .digits import load_digits

    X, y = load_digits(normalize=normalize, flatten=False)
    return _wrap(X.numpy().reshape(-1, 8, 8)), y


def mnist1d_sequences(shuffle_seq=False, seed=42):
    """MNIST-1D as sequences: (x_train (4000, 40, 1), y_train, x_test (1000, 40, 1), y_test).

    ``shuffle_seq=True`` permutes the 40 positions with one fixed permutation
    (the paper's control: local order no longer carries meaning).
    """
    from .mnist1d import load_mnist1d

    x, y, xt, yt = load_mnist1d(shuffle_seq=shuffle_seq, seed=seed, as_tensor=False)
    return _wrap(x[:, :, None]), Tensor._wrap(y, False, None, 0), _wrap(xt[:, :, None]), Tensor._wrap(yt, False, None, 0)


def char_lm_windows(ids, seq_len, stride=None):
    """Cut a token stream into (input, target) windows for next-token prediction.

    ``ids`` is a 1-D integer array; returns X (n, seq_len) and Y (n, seq_len)
    int64 with Y[:, t] = X[:, t + 1] in the stream (seed 001, autoregressive
    model: x_t ~ P(x_t | x_{t-1}, ..., x_1)). ``stride`` defaults to seq_len.
    """
    ids = _np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"char_lm_windows: ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
    T = _positive("char_lm_windows", "seq_len", seq_len)
    stride = T if stride is None else _positive("char_lm_windows", "stride", stride)
    if ids.size < T + 1:
        raise ValueError(f"char_lm_windows: the stream has {ids.size} tokens, fewer than seq_len + 1 = {T + 1}")
    starts = _np.arange(0, ids.size - T, stride)
    idx = starts[:, None] + _np.arange(T)[None, :]
    return (Tensor._wrap(ids[idx].astype(_np.int64), False, None, 0),
            Tensor._wrap(ids[idx + 1].astype(_np.int64), False, None, 0))


_CORPUS = """\
Una red recurrente lee una secuencia paso a paso. En cada paso mira la entrada nueva y el estado que
guardó en el paso anterior, y con ambas cosas escribe un estado nuevo. Ese estado es su memoria: un
vector pequeño que resume lo que ha visto hasta ahora.

La red de Elman es la más sencilla. Suma la entrada y el estado, cada uno por su matriz de pesos, y
aplica la tangente hiperbólica. Es fácil de escribir y rápida de calcular, pero olvida pronto. Cuando el
error viaja hacia atrás en el tiempo se multiplica una y otra vez por la misma matriz y por la derivada
de la tangente, que nunca pasa de uno. Tras cincuenta pasos apenas queda nada: es el gradiente que se
desvanece. Si la matriz es grande ocurre lo contrario y el gradiente explota; por eso se recorta su norma.

La LSTM añade una celda de memoria y cuatro puertas. La puerta de olvido decide qué parte de la celda se
conserva, la puerta de entrada cuánto de lo nuevo se escribe, la puerta de celda propone ese contenido
nuevo y la puerta de salida qué parte de la memoria se muestra como estado oculto. Como la celda se
actualiza sumando, y no multiplicando, el error puede recorrer cientos de pasos sin apagarse.

La GRU hace casi lo mismo con dos puertas. La puerta de reinicio elige cuánto del pasado usar para
proponer el estado nuevo, y la puerta de actualización mezcla el estado viejo con la propuesta. Tiene
tres bloques de pesos en lugar de cuatro, así que con el mismo tamaño oculto usa tres cuartas partes de
los parámetros de una LSTM y suele aprender igual de bien.

Un modelo de lenguaje por caracteres aprende a adivinar la letra siguiente. Lee un texto letra a letra,
y en cada paso da una probabilidad para cada carácter posible. Para escribir, se elige una letra según
esas probabilidades, se le da a la red como entrada y se repite. La temperatura cambia el carácter del
texto: con una temperatura baja la red elige casi siempre la letra más probable y se repite; con una
temperatura alta arriesga más y se equivoca más.

El problema de la suma pone a prueba la memoria. La red recibe una fila larga de números y dos marcas;
al final debe decir cuánto suman los dos números marcados. Si no recuerda nada, lo mejor que puede hacer
es responder siempre uno, y su error cuadrático medio queda cerca de un sexto. Una LSTM o una GRU bien
entrenada baja de una centésima; una red de Elman se queda atascada cerca de ese sexto cuando la fila
es larga.

Para predecir una serie temporal, la red recibe los valores pasados y da el siguiente. Su estado oculto
es una variable latente que resume la historia: el siguiente valor depende de ese estado, y el estado
nuevo depende del estado anterior y del último valor observado.

Las redes densas, las convolucionales, las recurrentes y las de atención comparten el mismo núcleo: una
suma ponderada de las entradas más un sesgo, una función no lineal, una pérdida que mide el error, la
retropropagación que reparte ese error entre los pesos y el descenso por gradiente que los corrige. Lo
que cambia es la forma en que cada una conecta sus neuronas.
"""


def default_corpus():
    """A short Spanish text about recurrent networks, written for gradiente (about 3,000 characters).

    The default training text of the character-level language model
    (:mod:`gradiente.models.charlm`); any other text file works as well.
    """
    return _CORPUS
