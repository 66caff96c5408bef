"""Numerical gradient check: is ``backward`` really the derivative of the loss?

Nudge one number by :math:`\\pm h`, see how the loss changes (centred
differences, in float64), and compare with the analytic gradient through a
*relative* error.
"""
import copy

import numpy as np

from . import _checks


def numerical_gradient(f, x, h=1e-5):
    r"""Estimate the gradient of a scalar function by centred differences.

    :math:`\partial f / \partial x_i \approx (f(x + h e_i) - f(x - h e_i)) / 2h`,
    with error :math:`O(h^2)`. Costs two calls of ``f`` per element of ``x``.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` and returns a float.
    x : array_like, any shape
        Point at which to differentiate (not modified: ``f`` gets a float64 copy).
    h : float
        Step size, > 0.

    Returns
    -------
    ndarray, float64, same shape as ``x``

    Raises
    ------
    ValueError
        If ``h`` is not a finite number > 0.

    Examples
    --------
    >>> numerical_gradient(lambda v: np.sum(v ** 2), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    h = _checks.number("h", h, 0, low_open=True)
    x = np.array(x, dtype=np.float64)  # our own copy, nudged one element at a time
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    r"""Relative difference of two arrays: :math:`\max|a - b| / \max(|a| + |b|)`.

    Scale-free, so one threshold (say :math:`10^{-6}`) fits gradients of any
    size; two all-zero arrays give 0.

    Parameters
    ----------
    a, b : array_like, same shape

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([1.0, 100.0], [1.0, 101.0]), 6)
    0.004975
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: expected shape {a.shape} (like a), got {b.shape}")
    scale = np.max(np.abs(a) + np.abs(b), initial=0.0)
    return float(np.max(np.abs(a - b), initial=0.0) / max(scale, np.finfo(np.float64).tiny))


def _loss_and_dx(layer, x, target):
    """Fresh forward, then the layer's own loss and backward; return (loss, dx)."""
    layer.clear()
    layer.forward(x)
    dx = layer.loss_backward(target)
    return layer.loss, dx


def check_layer(layer, x, target):
    """Compare a layer's analytic gradients with numerical ones.

    The loss is the one the layer itself reports through ``loss_backward``:
    squared error for a :class:`~mnistbook.layers.Layer`, cross-entropy for a
    :class:`~mnistbook.layers.SoftmaxLayer`, exactly as the trainer uses it.
    The check runs on a float64 copy, so ``layer`` is left untouched.

    Parameters
    ----------
    layer : Layer
    x : array_like, shape (nin,) or (N, nin)
    target : array_like, shape (nout,) or (N, nout)
        The ``ya`` of the loss.

    Returns
    -------
    dict
        Relative errors ``{"w": ..., "b": ..., "x": ...}`` between ``dw``,
        ``db``, ``dx`` and their numerical estimates; below 1e-6 means correct.

    Raises
    ------
    ValueError
        If ``x`` or ``target`` does not fit the layer (as its ``forward`` and
        ``loss_backward`` check).

    Examples
    --------
    >>> from mnistbook.layers import Layer
    >>> rng = np.random.default_rng(0)
    >>> errors = check_layer(Layer(4, 3, rng=rng), rng.random((5, 4)), rng.random((5, 3)))
    >>> all(error < 1e-6 for error in errors.values())
    True
    """
    probe = copy.copy(layer)  # same class and hooks; float64 arrays of its own below
    probe.dtype = np.dtype(np.float64)
    w, b = layer.w.astype(np.float64), layer.b.astype(np.float64)
    probe.dw, probe.db = np.zeros_like(w), np.zeros_like(b)
    x = np.array(x, dtype=np.float64)

    def loss_at(w_, b_, x_):
        probe.w, probe.b = w_, b_
        return _loss_and_dx(probe, x_, target)[0]

    numerical = {"w": numerical_gradient(lambda v: loss_at(v, b, x), w),
                 "b": numerical_gradient(lambda v: loss_at(w, v, x), b),
                 "x": numerical_gradient(lambda v: loss_at(w, b, v), x)}
    probe.w, probe.b = w, b
    dx = _loss_and_dx(probe, x, target)[1]
    analytic = {"w": probe.dw, "b": probe.db, "x": dx}
    return {name: relative_error(analytic[name], numerical[name]) for name in numerical}
