"""Activation and loss functions for one vector ``(n,)`` or a batch ``(N, n)``.

Every function works along the last axis and keeps a floating input's dtype
(float32 stays float32). Losses are *summed* over the samples of a batch, the
way the lecture accumulates them.
"""
import numpy as np

from . import _checks


def _floats(x):
    """Return ``x`` as a floating ndarray, without copying when it already is one."""
    x = np.asarray(x)
    # dtype.kind "f" is any floating type; np.issubdtype says the same, ten times slower
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _vectors(x, name="x"):
    """Return ``x`` as a floating ndarray of shape (n,) or (N, n) with n >= 1, or raise ValueError."""
    x = _floats(x)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"{name}: expected shape (n,) or (N, n) with n >= 1, got {x.shape}")
    return x


def sigmoid(x):
    r"""Logistic function :math:`\sigma(x) = 1 / (1 + e^{-x})`, element-wise.

    Computed as :math:`\sigma(x) = e^{\min(x, 0)} / (1 + e^{-|x|})`: for
    :math:`x \ge 0` that is :math:`1/(1+e^{-x})`, for :math:`x < 0` it is
    :math:`e^{x}/(1+e^{x})`, the same fraction times :math:`e^{x}/e^{x}`.
    Neither exponent is positive, so nothing overflows.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``, values in [0, 1]

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    """
    x = _floats(x)
    # both exponentials are in (0, 1]: no overflow for any x
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def d_sigmoid(y):
    r"""Derivative of the sigmoid, written with its *output* :math:`y = \sigma(x)`.

    :math:`\sigma'(x) = y\,(1 - y)`, the lecture's form: the layer keeps ``y``
    from ``forward``, so ``backward`` needs no extra exponential.

    Parameters
    ----------
    y : array_like, any shape
        Sigmoid outputs.

    Returns
    -------
    ndarray, same shape as ``y``

    Examples
    --------
    >>> d_sigmoid(sigmoid([0.0]))
    array([0.25])
    """
    y = _floats(y)
    return y * (1 - y)


def relu(x):
    r"""Rectified linear unit :math:`\max(x, 0)`, element-wise.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    return np.maximum(_floats(x), 0)


def d_relu(y):
    r"""Derivative of ReLU, written with its output :math:`y`: 1 where :math:`y > 0`, else 0.

    Parameters
    ----------
    y : array_like, any shape
        ReLU outputs.

    Returns
    -------
    ndarray, same shape and dtype as ``y``

    Examples
    --------
    >>> d_relu(relu([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    y = _floats(y)
    return (y > 0).astype(y.dtype)


def softmax(x):
    r"""Softmax along the last axis: :math:`y_i = e^{x_i} / \sum_k e^{x_k}`.

    The input is shifted by its maximum first. That changes nothing
    mathematically (the factor :math:`e^{-\max x}` cancels) but keeps every
    exponent :math:`\le 0`, so ``softmax([1000, 0])`` does not overflow.

    Parameters
    ----------
    x : array_like, shape (n,) or (N, n)

    Returns
    -------
    ndarray, same shape as ``x``; each row sums to 1 (tiny entries may
    underflow to 0)

    Raises
    ------
    ValueError
        If ``x`` is not of shape (n,) or (N, n) with n >= 1 (a 0-d number or an
        empty row has no softmax). A batch of N = 0 rows gives an empty result.

    Examples
    --------
    >>> softmax([1000.0, 0.0])
    array([1., 0.])
    >>> softmax([[1.0, 1.0], [0.0, np.log(3.0)]])
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    x = _vectors(x)
    e = np.exp(x - x.max(axis=-1, keepdims=True))  # largest exponent is 0
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    r"""Logarithm of the softmax along the last axis (the "LogSoftmax" of PyTorch).

    :math:`\log y_i = x_i - \log\sum_k e^{x_k}
    = (x_i - m) - \log\sum_k e^{x_k - m}` with :math:`m = \max_k x_k`
    (the log-sum-exp trick). The result is finite even where the softmax
    itself underflows to 0.

    Parameters
    ----------
    x : array_like, shape (n,) or (N, n)

    Returns
    -------
    ndarray, same shape as ``x``, values :math:`\le 0`

    Raises
    ------
    ValueError
        If ``x`` is not of shape (n,) or (N, n) with n >= 1, as :func:`softmax`.

    Examples
    --------
    >>> log_softmax([1000.0, 0.0])
    array([    0., -1000.])
    >>> log_softmax([-1000.0, 0.0])
    array([-1000.,     0.])
    """
    x = _vectors(x)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_labels(labels, n_rows, n_classes):
    """Return ``labels`` as an int array of shape () or (N,), or raise ValueError."""
    labels = np.asarray(labels)
    if labels.size == 0 and labels.dtype.kind == "f":
        labels = labels.astype(np.int64)  # [] is an empty float array, and a fine list of no labels
    expected = "()" if n_rows is None else f"({n_rows},)"
    if labels.shape != (() if n_rows is None else (n_rows,)):
        raise ValueError(f"labels: expected shape {expected}, got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels: expected integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels: expected values in 0..{n_classes - 1}, "
                         f"got values in {labels.min()}..{labels.max()}")
    return labels


def nll_loss(log_probs, labels):
    r"""Negative log-likelihood of the correct labels, summed over the batch.

    :math:`L = -\sum_s \log y_{s, \ell_s}`, where :math:`\ell_s` is the label of
    sample :math:`s`. With log-probabilities from :func:`log_softmax` this is
    the cross-entropy with one-hot targets; it is never nan, and infinite
    only if a log-probability is :math:`-\infty`.

    Parameters
    ----------
    log_probs : array_like, shape (n,) or (N, n)
        Log-probabilities, e.g. ``log_softmax(z)``.
    labels : int or array_like of int, shape (N,)
        Correct class of each sample: a single int for one sample ``(n,)``.

    Returns
    -------
    float
        The summed loss (0.0 for a batch of N = 0 samples).

    Raises
    ------
    ValueError
        If ``log_probs`` is not of shape (n,) or (N, n) with n >= 1, or ``labels``
        does not hold one integer in ``0 .. n-1`` per sample.

    Examples
    --------
    >>> round(nll_loss(np.log([0.25, 0.75]), 1), 4)  # -log 0.75
    0.2877
    >>> round(nll_loss(log_softmax([[1000.0, 0.0], [0.0, 0.0]]), [1, 0]), 4)
    1000.6931
    """
    log_probs = _vectors(log_probs, "log_probs")
    n_rows = None if log_probs.ndim == 1 else len(log_probs)
    labels = _check_labels(labels, n_rows, log_probs.shape[-1])
    if log_probs.ndim == 1:
        return float(-log_probs[labels])
    return float(-log_probs[np.arange(len(labels)), labels].sum())


def cross_entropy(p, q):
    r"""Cross-entropy :math:`H(p, q) = -\sum_i p_i \log q_i`, summed over the batch.

    ``p`` is the "true" distribution (e.g. a one-hot target), ``q`` the
    predicted one (e.g. a softmax output). Terms with :math:`p_i = 0` count as 0
    (:math:`0 \log 0 = 0`), so a zero in ``q`` only matters where ``p`` is
    positive, where the loss is then :math:`+\infty`.

    Parameters
    ----------
    p, q : array_like, shape (n,) or (N, n)
        Probability distributions along the last axis.

    Returns
    -------
    float
        :math:`H(p, q)` for one pair, or the sum of :math:`H` over the ``N`` rows
        (0.0 for N = 0).

    Raises
    ------
    ValueError
        If ``p`` and ``q`` differ in shape, or are not of shape (n,) or (N, n) with n >= 1.

    Examples
    --------
    >>> q = softmax([3.0, -2.0, 0.0, 9.0, 4.0])
    >>> round(cross_entropy([0.1, 0.1, 0.5, 0.2, 0.1], q), 3)
    6.709
    >>> round(cross_entropy([0.0, 1.0], [0.0, 0.5]), 4)  # -log 0.5; 0 log 0 counts as 0
    0.6931
    """
    p, q = _vectors(p, "p"), _vectors(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"q: expected the shape of p, {p.shape}, got {q.shape}")
    with np.errstate(divide="ignore"):  # log 0 = -inf is the right answer where p > 0
        log_q = np.log(q, where=p > 0, out=np.zeros_like(q))  # 0 log 0 = 0
    return float(-np.sum(p * log_q))


def one_hot(labels, n=10, dtype=np.float64):
    """One-hot vectors: label ``k`` becomes a length-``n`` vector with a 1 at index ``k``.

    Parameters
    ----------
    labels : int or array_like of int, shape (N,)
        Class labels in ``0 .. n-1``; N = 0 gives shape (0, n).
    n : int
        Number of classes, >= 1.
    dtype : data-type
        Floating type of the result (use the layer's dtype).

    Returns
    -------
    ndarray, shape (n,) for one int label, (N, n) for an array of labels

    Raises
    ------
    ValueError
        If ``n`` is not a whole number >= 1, ``dtype`` not a floating type, or
        ``labels`` not integers in ``0 .. n-1`` of shape () or (N,).

    Examples
    --------
    >>> one_hot(2, n=4)
    array([0., 0., 1., 0.])
    >>> one_hot([0, 3], n=4, dtype=np.float32)
    array([[1., 0., 0., 0.],
           [0., 0., 0., 1.]], dtype=float32)
    """
    n, dtype = _checks.count("n", n), _checks.float_dtype("dtype", dtype)
    labels = np.asarray(labels)
    labels = _check_labels(labels, None if labels.ndim == 0 else len(labels), n)
    # compare with 0..n-1: memory (N, n), where np.eye(n)[labels] would first build (n, n)
    return (labels[..., None] == np.arange(n)).astype(dtype)
