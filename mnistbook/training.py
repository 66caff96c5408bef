"""Training helpers: predict, accuracy, one minibatch step, and the SGD loop.

The trainer calls exactly the layer methods the chapters teach (``forward``,
``mse_loss`` or ``cross_entropy_loss_backward``, ``backward``, ``update``), on
minibatches instead of one sample at a time.
"""
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .functions import _check_labels, one_hot
from .layers import SoftmaxLayer


class TrainingDiverged(ArithmeticError):
    """The loss became nan or infinite: the learning rate is probably too large."""


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

    Returns
    -------
    ndarray, shape (nout,) or (N, nout)
        Output of the last layer; ``argmax`` along the last axis is the predicted class.

    Examples
    --------
    >>> from mnistbook.layers import Layer, SoftmaxLayer
    >>> rng = np.random.default_rng(0)
    >>> predict([Layer(4, 3, rng=rng), SoftmaxLayer(3, 2, rng=rng)], np.ones((5, 4))).shape
    (5, 2)
    """
    for layer in layers:
        x = layer.forward(x)
    return x


def accuracy(layers, images, labels, batch_size=10_000):
    """Fraction of samples whose largest output is at the correct label.

    Parameters
    ----------
    layers : list of Layer
    images : array_like, shape (N, nin)
    labels : array_like of int, shape (N,)
    batch_size : int
        Samples per forward pass (bounds the memory used).

    Returns
    -------
    float, in [0, 1]

    Examples
    --------
    >>> from mnistbook.layers import SoftmaxLayer
    >>> layer = SoftmaxLayer(2, 2, rng=np.random.default_rng(0))
    >>> layer.w[:], layer.b[:] = np.eye(2), 0  # predicts the index of the larger input
    >>> accuracy([layer], [[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]], [0, 1, 0])
    0.6666666666666666
    """
    images = np.asarray(images)
    if images.ndim != 2:
        raise ValueError(f"images: expected shape (N, {layers[0].nin}), got {images.shape}")
    labels = _check_labels(labels, len(images), layers[-1].nout)
    correct = 0
    for start in range(0, len(images), batch_size):
        y = predict(layers, images[start:start + batch_size])
        hits = y.argmax(axis=1) == labels[start:start + batch_size]
        correct += int(np.count_nonzero(hits))
    return correct / len(images)


def train_step(layers, x, labels_onehot):
    """Forward, loss and backward for one minibatch; the gradients accumulate in the layers.

    Uses ``cross_entropy_loss_backward`` if the last layer is a
    :class:`~mnistbook.layers.SoftmaxLayer`, else ``mse_loss`` and ``backward``.
    Call ``update`` (or an optimizer) afterwards to apply the gradients.

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
    predict(layers, x)
    # the first layer's dx (a gradient for the images) is not needed
    need_dx = len(layers) > 1
    if isinstance(last, SoftmaxLayer):
        delta = last.cross_entropy_loss_backward(labels_onehot, need_dx)
    else:
        delta = last.backward(last.mse_loss(labels_onehot), need_dx)
    for layer in reversed(layers[:-1]):
        delta = layer.backward(delta, need_dx=layer is not layers[0])
    return last.loss - loss_before


def _check_data(layers, images, labels, name):
    """Return images (in the first layer's dtype) and int labels, or raise ValueError."""
    first = layers[0]
    images = np.asarray(images, dtype=first.dtype)  # convert once, not every minibatch
    if images.ndim != 2 or images.shape[1] != first.nin:
        raise ValueError(f"{name} images: expected shape (N, {first.nin}), got {images.shape}")
    if not (np.isfinite(images.min()) and np.isfinite(images.max())):  # nan or inf shows in one
        raise ValueError(f"{name} images: expected finite values, got nan or inf")
    return images, _check_labels(labels, len(images), layers[-1].nout)


def _progress_bar(progress, total, description):
    """A tqdm bar if wanted and possible, else None (then sgd prints one line per epoch)."""
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm  # optional dependency
    except ImportError:
        return None
    return tqdm(total=total, desc=description, unit="img", leave=True)


def sgd(layers, images, labels, *, epochs=1, batch_size=50, alpha=0.01, rng=None, shuffle=True,
        validation=None, patience=None, optimizer=None, progress=None):
    """Train ``layers`` by minibatch stochastic gradient descent.

    Each epoch visits the training set in a new random order (drawn from
    ``rng``), ``batch_size`` samples at a time: :func:`train_step`, then
    ``layer.update(alpha)`` for every layer (or ``optimizer.step(layers)``).

    Parameters
    ----------
    layers : list of Layer
        Trained in place.
    images : array_like, shape (N, nin)
    labels : array_like of int, shape (N,)
    epochs : int
        Maximum number of passes over the training set.
    batch_size : int
        Samples per weight update (the lecture's 50).
    alpha : float
        Learning rate.
    rng : numpy.random.Generator, optional
        Source of the shuffling (same seed and data: same weights).
    shuffle : bool
        False keeps the given order every epoch.
    validation : tuple (images, labels), optional
        Evaluated after each epoch into ``History.val_accuracy``.
    patience : int, optional
        Early stopping (needs ``validation``): stop once validation accuracy has
        not improved for ``patience`` epochs, and restore the best epoch's weights.
    optimizer : object with ``step(layers)``, optional
        Replaces the plain ``layer.update(alpha)`` step.
    progress : bool or None
        None: a tqdm bar on an interactive terminal, else one printed line per
        epoch; True: a bar if tqdm is installed; False: silent.

    Returns
    -------
    History

    Raises
    ------
    TrainingDiverged
        If the loss becomes nan or infinite.

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
    if patience is not None and validation is None:
        raise ValueError("patience: early stopping needs validation=(images, labels)")
    for before, after in zip(layers, layers[1:]):
        if after.nin != before.nout:
            raise ValueError(f"layers: expected {after!r} to take {before.nout} inputs, got {after.nin}")
    images, labels = _check_data(layers, images, labels, "training")
    if validation is not None:
        validation = _check_data(layers, *validation, "validation")
    rng = np.random.default_rng() if rng is None else rng
    targets = one_hot(labels, layers[-1].nout, dtype=layers[-1].dtype)
    history, best_weights, stale = History(), None, 0

    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(images)) if shuffle else np.arange(len(images))
        bar = _progress_bar(progress, len(images), f"epoch {epoch}/{epochs}")
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # overflow shows up as nan/inf below
                total_loss, correct = _one_epoch(layers, images, labels, targets, order, batch_size,
                                                 alpha, optimizer, bar, history)
        except (FloatingPointError, ValueError) as error:  # data was checked: it is the weights
            if bar is not None:
                bar.close()
            raise TrainingDiverged(f"training diverged in epoch {epoch} ({error}); "
                                   f"try a smaller learning rate (alpha={alpha})") from error
        history.train_loss.append(total_loss / len(images))
        history.train_accuracy.append(correct / len(images))
        message = (f"train loss {history.train_loss[-1]:.4f}, "
                   f"train acc {history.train_accuracy[-1]:.4f}")
        if validation is not None:
            history.val_accuracy.append(accuracy(layers, *validation))
            message += f", val acc {history.val_accuracy[-1]:.4f}"
            best_so_far = max(history.val_accuracy[:-1], default=-1.0)
            if history.val_accuracy[-1] > best_so_far:
                history.best_epoch, stale = epoch, 0
                best_weights = [(layer.w.copy(), layer.b.copy())
                                for layer in layers]
            else:
                stale += 1
        history.seconds.append(time.perf_counter() - start)
        if bar is not None:
            bar.set_postfix_str(message)
            bar.close()
        elif progress is not False:
            seconds = history.seconds[-1]
            print(f"epoch {epoch}/{epochs}: {message}, {seconds:.1f} s")
        if patience is not None and stale >= patience:
            break

    # early stopping keeps the best epoch, not the last one
    if patience is not None:
        for layer, (w, b) in zip(layers, best_weights):
            layer.w[...], layer.b[...] = w, b
    return history


def _one_epoch(layers, images, labels, targets, order, batch_size, alpha,
               optimizer, bar, history):
    """Train on each minibatch of ``order`` once; return (summed loss, correctly predicted count)."""
    total_loss, correct = 0.0, 0
    for first in range(0, len(order), batch_size):
        batch = order[first:first + batch_size]
        loss = train_step(layers, images[batch], targets[batch])
        if not math.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss}")
        # running accuracy: the forward pass has already made these predictions
        hits = layers[-1].y.argmax(axis=1) == labels[batch]
        correct += int(np.count_nonzero(hits))
        total_loss += loss
        history.batch_loss.append(loss / len(batch))
        if optimizer is None:
            for layer in layers:
                layer.update(alpha)
        else:
            optimizer.step(layers)
        if bar is not None:
            bar.update(len(batch))
    return total_loss, correct
