"""Training helpers: predict, accuracy, one minibatch step, and the SGD loop.

The trainer calls exactly the layer methods the chapters teach (``forward``,
the last layer's ``loss_backward``, ``backward``) on minibatches, and lets an
optimizer take each step (plain :class:`~mnistbook.optim.SGD` unless told
otherwise). The data and the arguments are checked once, here, before any
work starts; the per-minibatch calls stay as cheap as the lecture's.
"""
import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from .functions import _check_labels, one_hot
from .optim import SGD


class TrainingDiverged(ArithmeticError):
    """The loss or the weights became nan or infinite: the steps are probably too large."""


@dataclass
class History:
    """What :func:`sgd` measured, one entry per epoch (``batch_loss``: per minibatch).

    Attributes
    ----------
    train_loss : list of float
        Mean loss per training sample over the epoch.
    train_accuracy : list of float
        Running accuracy on the minibatches as they were trained (the weights
        change during the epoch, so this lags the end-of-epoch accuracy a little).
    val_accuracy : list of float
        Accuracy on the validation set after the epoch (empty without one).
    seconds : list of float
        Wall-clock time of the epoch (including validation).
    batch_loss : list of float
        Loss per sample of every minibatch, in training order.
    best_epoch : int or None
        Epoch (from 1) with the best validation accuracy; None without validation.

    Examples
    --------
    >>> History().train_loss
    []
    """

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    batch_loss: list = field(default_factory=list)
    best_epoch: int | None = None


def predict(layers, x):
    """Run ``x`` forward through all layers.

    Parameters
    ----------
    layers : list of Layer
    x : array_like, shape (nin,) or (N, nin)
        Finite values.

    Returns
    -------
    ndarray, shape (nout,) or (N, nout)
        Output of the last layer; ``argmax`` along the last axis is the predicted class.

    Raises
    ------
    ValueError
        If the layers do not fit together, or ``x`` has the wrong shape or a nan or inf.

    Examples
    --------
    >>> from mnistbook.layers import Layer, SoftmaxLayer
    >>> rng = np.random.default_rng(0)
    >>> predict([Layer(4, 3, rng=rng), SoftmaxLayer(3, 2, rng=rng)], np.ones((5, 4))).shape
    (5, 2)
    """
    _check_chain(layers)
    x = np.asarray(x, dtype=layers[0].dtype)
    if x.ndim not in (1, 2) or x.shape[-1] != layers[0].nin:
        raise ValueError(f"x: expected shape ({layers[0].nin},) or (N, {layers[0].nin}), got {x.shape}")
    _check_finite("x", x)
    return _forward(layers, x)


def accuracy(layers, images, labels, batch_size=10_000):
    """Fraction of samples whose largest output is at the correct label.

    Parameters
    ----------
    layers : list of Layer
    images : array_like, shape (N, nin), N >= 1
    labels : array_like of int, shape (N,)
    batch_size : int
        Samples per forward pass (bounds the memory used), >= 1.

    Returns
    -------
    float, in [0, 1]

    Raises
    ------
    ValueError
        If an argument has the wrong shape, type or range.

    Examples
    --------
    >>> from mnistbook.layers import SoftmaxLayer
    >>> layer = SoftmaxLayer(2, 2, rng=np.random.default_rng(0))
    >>> layer.w[:], layer.b[:] = np.eye(2), 0  # predicts the index of the larger input
    >>> accuracy([layer], [[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]], [0, 1, 0])
    0.6666666666666666
    """
    _check_chain(layers)
    batch_size = _checks.count("batch_size", batch_size)
    images, labels = _check_data(layers, images, labels)
    return _accuracy(layers, images, labels, batch_size)


def _accuracy(layers, images, labels, batch_size=10_000):
    """:func:`accuracy` without the checks (callers checked the arguments)."""
    correct = 0
    for start in range(0, len(images), batch_size):
        y = _forward(layers, images[start:start + batch_size])
        hits = y.argmax(axis=1) == labels[start:start + batch_size]
        correct += int(np.count_nonzero(hits))
    return correct / len(images)


def train_step(layers, x, labels_onehot):
    """Forward, loss and backward for one minibatch; the gradients accumulate in the layers.

    The loss is the last layer's own, ``loss_backward``: squared error for a
    :class:`~mnistbook.layers.Layer`, cross-entropy for a
    :class:`~mnistbook.layers.SoftmaxLayer`. Call ``update`` (or an
    optimizer's ``step``) afterwards to apply the gradients.

    Parameters
    ----------
    layers : list of Layer
    x : array_like, shape (N, nin) or (nin,)
    labels_onehot : array_like, shape (N, nout) or (nout,)
        Targets, e.g. ``one_hot(labels)``.

    Returns
    -------
    float
        The loss of this batch, summed over its samples.

    Raises
    ------
    ValueError
        If ``x`` or ``labels_onehot`` does not fit the layers (only shapes are
        checked here, once per minibatch; :func:`sgd` checks the values once).

    Examples
    --------
    >>> from mnistbook.layers import Layer, SoftmaxLayer
    >>> rng = np.random.default_rng(0)
    >>> net = [Layer(4, 3, rng=rng), SoftmaxLayer(3, 2, rng=rng)]
    >>> loss = train_step(net, rng.random((5, 4)), one_hot([0, 1, 1, 0, 1], n=2))
    >>> loss == net[-1].loss, bool(net[0].dw.any())
    (True, True)
    """
    last = layers[-1]
    # the layer's loss accumulates: return only this batch's part
    loss_before = last.loss
    _forward(layers, x)
    # the first layer's dx (a gradient for the images) is not needed
    delta = last.loss_backward(labels_onehot, need_dx=len(layers) > 1)
    for layer in reversed(layers[:-1]):
        delta = layer.backward(delta, need_dx=layer is not layers[0])
    return last.loss - loss_before


def sgd(layers, images, labels, *, epochs=1, batch_size=50, alpha=None, rng=None, shuffle=True,
        validation=None, patience=None, optimizer=None, progress=True):
    """Train ``layers`` by minibatch stochastic gradient descent.

    Each epoch visits the training set in a new random order (drawn from
    ``rng``), ``batch_size`` samples at a time: :func:`train_step`, then
    ``optimizer.step(layers)``.

    Parameters
    ----------
    layers : list of Layer
        Trained in place.
    images : array_like, shape (N, nin), N >= 1, finite
    labels : array_like of int, shape (N,)
    epochs : int
        Maximum number of passes over the training set, >= 1.
    batch_size : int
        Samples per step (the lecture's 50), >= 1.
    alpha : float, optional
        Learning rate of plain SGD (default 0.01), > 0. Not with ``optimizer``.
    rng : numpy.random.Generator, optional
        Source of the shuffling (same seed and data: same weights).
    shuffle : bool
        False keeps the given order every epoch.
    validation : tuple (images, labels), optional
        Evaluated after each epoch into ``History.val_accuracy``.
    patience : int, optional
        Early stopping (needs ``validation``): stop once validation accuracy has
        not improved for ``patience`` (>= 1) epochs, and restore the best epoch's weights.
    optimizer : Optimizer, optional
        Anything with ``step(layers)``, e.g. :class:`~mnistbook.optim.Momentum`;
        default ``SGD(alpha)``.
    progress : bool
        Print one line per epoch.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        Before training starts, if an argument is out of range (``rng`` not a
        ``numpy.random.Generator``, ...) or the data or layers do not fit
        together (the message names the argument).
    TrainingDiverged
        If the loss or the weights become nan or infinite. Exceptions raised by
        ``optimizer`` itself pass through unchanged.

    Examples
    --------
    >>> from mnistbook.layers import Layer, SoftmaxLayer
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((200, 2))
    >>> labels = (images[:, 0] > images[:, 1]).astype(int)  # which coordinate is larger?
    >>> net = [Layer(2, 8, rng=rng), SoftmaxLayer(8, 2, rng=rng)]
    >>> history = sgd(net, images, labels, epochs=30, batch_size=10, alpha=0.5, rng=rng, progress=False)
    >>> len(history.train_loss), history.train_loss[-1] < history.train_loss[0]
    (30, True)
    >>> accuracy(net, images, labels) > 0.9
    True
    """
    _check_chain(layers)
    epochs, batch_size = _checks.count("epochs", epochs), _checks.count("batch_size", batch_size)
    rng = _checks.generator("rng", rng)
    optimizer = _check_optimizer(optimizer, alpha)
    if patience is not None:
        patience = _checks.count("patience", patience)
        if validation is None:
            raise ValueError("patience: early stopping needs validation=(images, labels)")
    images, labels = _check_data(layers, images, labels)
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError("validation: expected a pair (images, labels)")
        validation = _check_data(layers, *validation, "validation ")
    if not _finite_weights(layers):
        raise ValueError("layers: the weights hold nan or inf before training")
    targets = one_hot(labels, layers[-1].nout, dtype=layers[-1].dtype)
    history, best_weights, stale = History(), None, 0

    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(images)) if shuffle else np.arange(len(images))
        batches = (order[first:first + batch_size] for first in range(0, len(order), batch_size))
        with np.errstate(all="ignore"):  # overflow shows up as nan or inf, checked below
            losses, correct = _epoch(layers, optimizer, images, targets, labels, batches, epoch)
            # the last step is after the last loss: check the weights and what they now output
            if not _finite_weights(layers) or not np.isfinite(_forward(layers, images[:1])).all():
                raise TrainingDiverged(f"training diverged in epoch {epoch}: the weights or outputs became "
                                       f"nan or infinite; try a smaller learning rate")
        history.batch_loss += [loss / size for loss, size in losses]
        history.train_loss.append(sum(loss for loss, _ in losses) / len(images))
        history.train_accuracy.append(correct / len(images))
        message = (f"train loss {history.train_loss[-1]:.4f}, "
                   f"train acc {history.train_accuracy[-1]:.4f}")
        if validation is not None:
            history.val_accuracy.append(_accuracy(layers, *validation))  # checked above
            message += f", val acc {history.val_accuracy[-1]:.4f}"
            if history.val_accuracy[-1] > max(history.val_accuracy[:-1], default=-1.0):
                history.best_epoch, stale = epoch, 0
                best_weights = [[param.copy() for param, _ in layer.parameters()] for layer in layers]
            else:
                stale += 1
        history.seconds.append(time.perf_counter() - start)
        if progress:
            print(f"epoch {epoch}/{epochs}: {message}, {history.seconds[-1]:.1f} s")
        if patience is not None and stale >= patience:
            break

    # early stopping keeps the best epoch, not the last one
    if patience is not None:
        for layer, saved in zip(layers, best_weights):
            for (param, _), value in zip(layer.parameters(), saved):
                param[...] = value
    return history


def _epoch(layers, optimizer, images, targets, labels, batches, epoch):
    """One pass over ``batches`` (index arrays); return ([(loss, size) per batch], correct count)."""
    losses, correct = [], 0
    for number, batch in enumerate(batches, start=1):
        loss = train_step(layers, images[batch], targets[batch])
        if not math.isfinite(loss):
            raise TrainingDiverged(f"training diverged in epoch {epoch}, minibatch {number}: "
                                   f"the loss became {loss}; try a smaller learning rate")
        # running accuracy: the forward pass has already made these predictions
        correct += int(np.count_nonzero(layers[-1].y.argmax(axis=1) == labels[batch]))
        losses.append((loss, len(batch)))
        optimizer.step(layers)
    return losses, correct


def _forward(layers, x):
    """``x`` through every layer's ``forward``, unchecked (callers checked it)."""
    for layer in layers:
        x = layer.forward(x)
    return x


def _check_chain(layers):
    """Raise ValueError unless ``layers`` is a non-empty sequence whose sizes fit together."""
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(f"layers: expected a non-empty list of layers, got {layers!r}")
    for before, after in zip(layers, layers[1:]):
        if after.nin != before.nout:
            raise ValueError(f"layers: expected {after!r} to take {before.nout} inputs, got {after.nin}")


def _check_optimizer(optimizer, alpha):
    """The optimizer to step with: ``SGD(alpha)`` by default; raise ValueError if both are given."""
    if optimizer is None:
        return SGD(0.01 if alpha is None else alpha)
    if alpha is not None:
        raise ValueError("alpha: give the learning rate to the optimizer, not to sgd as well")
    if not callable(getattr(optimizer, "step", None)):
        raise ValueError(f"optimizer: expected an object with a step(layers) method, got {optimizer!r}")
    return optimizer


def _check_data(layers, images, labels, name=""):
    """Return images (in the first layer's dtype) and int labels, or raise ValueError."""
    first = layers[0]
    images = np.asarray(images, dtype=first.dtype)  # convert once, not every minibatch
    if images.ndim != 2 or images.shape[1] != first.nin:
        raise ValueError(f"{name}images: expected shape (N, {first.nin}), got {images.shape}")
    if len(images) == 0:
        raise ValueError(f"{name}images: expected at least one sample, got shape {images.shape}")
    _check_finite(f"{name}images", images)
    try:
        return images, _check_labels(labels, len(images), layers[-1].nout)
    except ValueError as error:
        raise ValueError(f"{name}{error}") from None


def _check_finite(name, array):
    # a nan or inf anywhere makes the min or the max non-finite: two fast passes, no temporary
    if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())):
        raise ValueError(f"{name}: expected finite values, got nan or inf")


def _finite_weights(layers):
    return all(np.isfinite(param).all() for layer in layers for param, _ in layer.parameters())
