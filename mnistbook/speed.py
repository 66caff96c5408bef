"""Timing helpers of the "Making it fast" chapter: FLOPs, BLAS rates, and an epoch taken apart.

The benchmark harness that compares against PyTorch lives outside the package,
in ``benchmarks/bench.py``; these are the pieces the chapter runs and explains.
"""
import contextlib
import time

import numpy as np

from .layers import Layer
from .training import sgd


def epoch_flops(sizes, n_samples):
    """Floating-point operations of the matrix products in one training epoch.

    A product of an ``(N, a)`` and an ``(a, b)`` matrix costs ``2 N a b``
    operations (a multiply and an add each). Per layer with ``nin * nout``
    weights, one epoch needs the forward product ``x @ w.T`` and the weight
    gradient ``g.T @ x``; every layer but the first also needs ``dx = g @ w``
    (the first layer's ``dx`` is a gradient for the images, which nobody uses).
    Element-wise work (sigmoid, biases) is comparatively tiny and not counted.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, e.g. ``(784, 100, 10)``.
    n_samples : int
        Training samples in the epoch.

    Returns
    -------
    int

    Examples
    --------
    >>> epoch_flops((784, 100, 10), 60_000) / 1e9  # GFLOP
    19.176
    """
    weights = [nin * nout for nin, nout in zip(sizes, sizes[1:])]
    return 2 * n_samples * (2 * sum(weights) + sum(weights[1:]))


def matmul_gflops(n=2048, *, repeats=3):
    """Rate of a large float32 matrix product ``(n, n) @ (n, n)``, in GFLOP/s (best of ``repeats``).

    Examples
    --------
    >>> matmul_gflops(64, repeats=1) > 0
    True
    """
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    a @ a  # warm up: first-call costs are not the rate
    best = min(seconds(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def seconds(work):
    """Wall-clock seconds that calling ``work()`` takes.

    Examples
    --------
    >>> seconds(lambda: None) >= 0
    True
    """
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


@contextlib.contextmanager
def blas_threads(n):
    """Limit NumPy's BLAS to ``n`` threads inside the ``with`` block (None: leave as is).

    Needs ``threadpoolctl`` (imported only when ``n`` is given).
    """
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def make_network(sizes, seed, dtype=np.float64):
    """The lecture's sigmoid network, and the generator that made it (for the shuffling).

    Examples
    --------
    >>> net, rng = make_network((4, 3, 2), seed=0)
    >>> net
    [Layer(4, 3, dtype=float64), Layer(3, 2, dtype=float64)]
    """
    rng = np.random.default_rng(seed)
    return [Layer(nin, nout, rng=rng, dtype=dtype) for nin, nout in zip(sizes, sizes[1:])], rng


def per_sample_epoch(layers, images, targets, order, batch_size, alpha):
    """The lecture's loop: forward, loss and backward one sample at a time; update every ``batch_size``.

    Parameters
    ----------
    layers : list of Layer
    images : ndarray, shape (N, nin)
    targets : ndarray, shape (N, nout)
        One-hot targets.
    order : sequence of int
        The sample indices, in training order.
    batch_size : int
    alpha : float

    Examples
    --------
    >>> from mnistbook.functions import one_hot
    >>> net, rng = make_network((4, 3, 2), seed=0)
    >>> images, targets = rng.random((10, 4)), one_hot(rng.integers(0, 2, 10), n=2)
    >>> per_sample_epoch(net, images, targets, range(10), batch_size=5, alpha=0.1)
    >>> bool(net[0].dw.any())  # the last update cleared the gradients
    False
    """
    for count, i in enumerate(order, start=1):
        y = images[i]
        for layer in layers:
            y = layer.forward(y)
        delta = layers[-1].mse_loss(targets[i])
        for layer in reversed(layers):
            delta = layer.backward(delta)
        if count % batch_size == 0:
            for layer in layers:
                layer.update(alpha)


def products_seconds(images, layers, batch_size=50):
    """Time only the matrix products of one epoch, at the epoch's own shapes.

    The floor under a batched epoch: for every minibatch, each layer's
    ``x @ w.T`` and ``g.T @ x``, and ``g @ w`` for all layers but the first
    (the products :func:`epoch_flops` counts), without the activations, loss,
    checks and updates around them. The images are taken in order,
    ``batch_size`` rows at a time; ``g`` is a stand-in of ones, since the
    values do not change the time.

    Parameters
    ----------
    images : ndarray, shape (N, nin)
        In the layers' dtype.
    layers : list of Layer
        Only their weights' shapes and dtype matter.
    batch_size : int

    Returns
    -------
    float
        Seconds for all the minibatches of one pass over ``images``.

    Examples
    --------
    >>> net, _ = make_network((4, 3, 2), seed=0)
    >>> products_seconds(np.ones((100, 4)), net, batch_size=10) > 0
    True
    """
    grads = [np.ones((batch_size, layer.nout), layer.dtype) for layer in layers]
    start = time.perf_counter()
    for first in range(0, len(images), batch_size):
        x = images[first:first + batch_size]
        for i, (layer, g) in enumerate(zip(layers, grads)):
            y = x @ layer.w.T
            g[:len(x)].T @ x  # the last minibatch may be shorter
            if i > 0:
                g[:len(x)] @ layer.w
            x = y
    return time.perf_counter() - start


def step_cost_seconds(images, labels, sizes, config, dtype=np.float32):
    """One ``sgd`` epoch of a network two units wide: the fixed cost of the minibatch steps.

    Same images, batch size and calls as the real epoch, but the hidden layer
    has 2 units instead of ``sizes[1]``, so there is almost no arithmetic left:
    what remains is the cost of the calls themselves (gathering the minibatch,
    a few dozen small NumPy operations, the step), paid once per minibatch.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> config = {"seed": 0, "batch_size": 10, "alpha": 0.1}
    >>> step_cost_seconds(rng.random((50, 6)), rng.integers(0, 3, 50), (6, 4, 3), config) > 0
    True
    """
    layers, rng = make_network((sizes[0], 2, sizes[-1]), config["seed"], dtype)
    history = sgd(layers, images, labels, batch_size=config["batch_size"], alpha=config["alpha"],
                  rng=rng, progress=False)
    return history.seconds[0]


def time_split(images, labels, sizes, config, repeats=2):
    """Where a batched epoch's time goes: its matrix products alone, and the fixed cost of its steps.

    Parameters
    ----------
    images : ndarray, shape (N, sizes[0])
        Training images, in the dtype to measure (float32 in the benchmark).
    labels : ndarray of int, shape (N,)
    sizes : sequence of int
        Layer widths of the network being explained.
    config : dict
        ``seed``, ``batch_size`` and ``alpha``, as for the epoch itself.
    repeats : int
        Each time is the best of this many runs.

    Returns
    -------
    dict
        ``products_seconds`` (:func:`products_seconds`), ``products_gflops`` (their
        rate), ``step_cost_seconds`` (:func:`step_cost_seconds`) and
        ``step_cost_sizes`` (the 2-unit network's widths).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> config = {"seed": 0, "batch_size": 10, "alpha": 0.1}
    >>> split = time_split(rng.random((50, 6)), rng.integers(0, 3, 50), (6, 4, 3), config,
    ...                    repeats=1)
    >>> sorted(split)
    ['products_gflops', 'products_seconds', 'step_cost_seconds', 'step_cost_sizes']
    """
    layers, _ = make_network(sizes, config["seed"], images.dtype)
    products = min(products_seconds(images, layers, config["batch_size"]) for _ in range(repeats))
    steps = min(step_cost_seconds(images, labels, sizes, config, images.dtype) for _ in range(repeats))
    return {"products_seconds": products,
            "products_gflops": epoch_flops(sizes, len(images)) / products / 1e9,
            "step_cost_seconds": steps, "step_cost_sizes": [sizes[0], 2, sizes[-1]]}
