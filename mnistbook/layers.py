"""Fully connected layers: the lecture's ``Layer`` and ``SoftmaxLayer``, plus ``ReLULayer``.

``Dense`` holds what every layer kind shares: the weights, their gradients,
``update`` and ``clear``. ``Layer`` adds the sigmoid and the squared error,
``ReLULayer`` swaps the activation, ``SoftmaxLayer`` adds softmax and
cross-entropy. Each kind has one ``loss_backward(ya)``, its own loss, which the
trainer and the gradient check both call.

One code path serves one sample ``x`` of shape ``(nin,)`` and a batch of shape
``(N, nin)``: a batch is just ``N`` rows, and matrix products handle all rows at
once. Gradients and loss *accumulate* over calls until ``update(alpha)`` (or an
optimizer's ``step``) applies and clears them, which is how the lecture forms
minibatches. ``forward`` checks only shapes, so each call stays cheap; the
values are checked once, where data enters (``predict``, ``accuracy``, ``sgd``).
"""
import numpy as np

from . import _checks
from .functions import d_relu, d_sigmoid, log_softmax, relu, sigmoid


class Dense:
    r"""What every fully connected layer has: weights, biases and their gradients.

    Parameters
    ----------
    nin, nout : int
        Number of inputs and of outputs (units), each at least 1.
    rng : numpy.random.Generator, optional
        Source of the initial weights (a fresh unseeded one if omitted).
    init : {"uniform", "xavier", "he"}
        ``"uniform"``: the lecture's :math:`U[-0.5, 0.5)` for ``w`` and ``b``.
        ``"xavier"``: :math:`U[-a, a)` with :math:`a = \sqrt{6 / (n_{in} + n_{out})}`,
        suited to sigmoid. ``"he"``: normal with std :math:`\sqrt{2 / n_{in}}`, suited
        to ReLU. Both scaled ones start with ``b = 0``.
    dtype : data-type
        float64 (default) or float32 (faster, and precise enough for training).

    Attributes
    ----------
    w, dw : ndarray, shape (nout, nin)
        Weights and their accumulated gradient :math:`\partial L / \partial w`.
    b, db : ndarray, shape (nout,)
        Biases and their accumulated gradient.
    x, y : ndarray, shape (nin,) or (N, nin); (nout,) or (N, nout)
        Input and output of the last ``forward`` call.
    loss : float
        Loss accumulated since the last ``update``.

    Raises
    ------
    ValueError
        If ``nin``, ``nout``, ``init`` or ``dtype`` is not one of the allowed values,
        or ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> layer = Layer(3, 2, rng=np.random.default_rng(0))
    >>> layer.w.shape, layer.b.shape
    ((2, 3), (2,))
    >>> layer.forward(np.ones(3)).shape, layer.forward(np.ones((5, 3))).shape
    ((2,), (5, 2))
    """

    def __init__(self, nin, nout, *, rng=None, init="uniform", dtype=np.float64):
        rng = _checks.generator("rng", rng)
        self.nin, self.nout = _checks.count("nin", nin), _checks.count("nout", nout)
        self.dtype = _checks.float_dtype("dtype", dtype)
        if init == "uniform":
            w, b = rng.random((nout, nin)) - 0.5, rng.random(nout) - 0.5
        elif init == "xavier":
            limit = np.sqrt(6 / (nin + nout))
            w, b = rng.uniform(-limit, limit, (nout, nin)), np.zeros(nout)
        elif init == "he":
            std = np.sqrt(2 / nin)
            w, b = rng.normal(0, std, (nout, nin)), np.zeros(nout)
        else:
            raise ValueError(
                f"init: expected 'uniform', 'xavier' or 'he', got {init!r}")
        # drawn in float64, then cast: one seed, one net, in either dtype
        self.w, self.b = w.astype(self.dtype), b.astype(self.dtype)
        self.dw, self.db = np.zeros_like(self.w), np.zeros_like(self.b)
        self.x = self.y = None
        self.loss = 0.0

    def __repr__(self):
        return f"{type(self).__name__}({self.nin}, {self.nout}, dtype={self.dtype})"

    def parameters(self):
        """The ``(parameter, gradient)`` pairs an optimizer moves: ``(w, dw)`` and ``(b, db)``.

        Examples
        --------
        >>> layer = Layer(3, 2, rng=np.random.default_rng(0))
        >>> [(p.shape, g.shape) for p, g in layer.parameters()]
        [((2, 3), (2, 3)), ((2,), (2,))]
        """
        return [(self.w, self.dw), (self.b, self.db)]

    def clear(self):
        """Zero the accumulated gradients and loss, ready for the next minibatch.

        Examples
        --------
        >>> layer = Layer(2, 1, rng=np.random.default_rng(0))
        >>> layer.dw[:], layer.loss = 1, 3.0
        >>> layer.clear()
        >>> layer.dw, layer.loss
        (array([[0., 0.]]), 0.0)
        """
        self.dw.fill(0)  # in place: keeps the buffers (and their dtype)
        self.db.fill(0)
        self.loss = 0.0

    def update(self, alpha):
        """Step ``w -= alpha * dw``, ``b -= alpha * db``; then clear ``dw``, ``db`` and ``loss``.

        Parameters
        ----------
        alpha : float
            Learning rate, >= 0 (0 only clears).

        Raises
        ------
        ValueError
            If ``alpha`` is not a finite number >= 0.

        Examples
        --------
        >>> layer = Layer(2, 1, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = 0, 0
        >>> layer.dw[:], layer.db[:] = 1, 2
        >>> layer.update(0.5)
        >>> layer.w, layer.b, layer.dw
        (array([[-0.5, -0.5]]), array([-1.]), array([[0., 0.]]))
        """
        alpha = _checks.number("alpha", alpha, 0)
        self.w -= alpha * self.dw
        self.b -= alpha * self.db
        self.clear()

    def _check_input(self, x):
        """Return ``x`` in the layer's dtype (no copy if it already is), or raise ValueError."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.nin:
            raise ValueError(f"x: expected shape ({self.nin},) or (N, {self.nin}), got {x.shape}")
        return x

    def _check_like_y(self, name, a):
        """Return ``a`` (a target or a delta) in the layer's dtype, shaped like ``self.y``."""
        if self.y is None:
            raise ValueError(f"{name}: call forward(x) first")
        a = np.asarray(a, dtype=self.dtype)
        if a.shape != self.y.shape:
            raise ValueError(f"{name}: expected shape {self.y.shape} (like y), got {a.shape}")
        return a

    def _accumulate(self, g, need_dx=True):
        r"""Add the gradients for :math:`g = \partial L / \partial z`; return :math:`\partial L / \partial x`.

        :math:`\partial L / \partial w_{ij} = \sum_s g_{si} x_{sj}` is ``g.T @ x``
        (an outer product for one sample); the sum over samples ``s`` is what
        makes one batched call equal ``N`` one-sample calls.
        """
        # one sample is a batch of 1
        g2, x2 = g.reshape(-1, self.nout), self.x.reshape(-1, self.nin)
        self.dw += g2.T @ x2
        self.db += g2.sum(axis=0)
        # the first layer's dx is never used: need_dx=False skips it
        return g @ self.w if need_dx else None


class Layer(Dense):
    r"""A fully connected layer with sigmoid activation: :math:`y = \sigma(x W^T + b)`.

    Its loss is the squared error (:meth:`mse_loss`). Parameters, attributes
    and errors as :class:`Dense`.

    Examples
    --------
    >>> layer = Layer(3, 2, rng=np.random.default_rng(0))
    >>> layer
    Layer(3, 2, dtype=float64)
    """

    activation = staticmethod(sigmoid)      # y = activation(z)
    d_activation = staticmethod(d_sigmoid)  # dy/dz, written with y

    def forward(self, x):
        """Compute and remember the output for one sample or a batch.

        Parameters
        ----------
        x : array_like, shape (nin,) or (N, nin)

        Returns
        -------
        y : ndarray, shape (nout,) or (N, nout)

        Raises
        ------
        ValueError
            If ``x`` is not of shape (nin,) or (N, nin).

        Examples
        --------
        >>> layer = Layer(2, 1, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = 0, 0
        >>> layer.forward([3.0, 4.0])
        array([0.5])
        """
        self.x = self._check_input(x)
        # one row of y per row of x
        self.y = self.activation(self.x @ self.w.T + self.b)
        return self.y

    def mse_loss(self, ya):
        r"""Add the squared error :math:`\sum (y - y_a)^2` to ``loss``; return its gradient.

        Parameters
        ----------
        ya : array_like, same shape as ``y``
            Target output(s).

        Returns
        -------
        delta : ndarray, same shape as ``y``
            :math:`\partial L / \partial y = 2 (y - y_a)`, the input of ``backward``.

        Raises
        ------
        ValueError
            If ``forward`` has not run yet, or ``ya`` is not shaped like ``y``.

        Examples
        --------
        >>> layer = Layer(2, 1, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = 0, 0
        >>> layer.forward([3.0, 4.0])
        array([0.5])
        >>> layer.mse_loss([1.0]), layer.loss
        (array([-1.]), 0.25)
        """
        diff = self.y - self._check_like_y("ya", ya)
        self.loss += float(np.sum(diff * diff))
        return 2 * diff

    def backward(self, delta, need_dx=True):
        r"""Accumulate ``dw``, ``db`` from :math:`\delta = \partial L / \partial y`; return ``dx``.

        With :math:`g = \delta \odot \sigma'(z)`:
        :math:`dw \mathrel{+}= g^T x`, :math:`db \mathrel{+}= \sum_s g_s`,
        :math:`dx = g W`.

        Parameters
        ----------
        delta : array_like, same shape as ``y``
        need_dx : bool
            False skips computing ``dx`` (a third of the work of a wide
            first layer, whose ``dx`` nobody uses) and returns None.

        Returns
        -------
        dx : ndarray, same shape as ``x``
            The ``delta`` for the previous layer.

        Raises
        ------
        ValueError
            If ``forward`` has not run yet, or ``delta`` is not shaped like ``y``.

        Examples
        --------
        >>> layer = Layer(2, 1, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = [[1.0, -1.0]], 0
        >>> layer.forward([3.0, 3.0])
        array([0.5])
        >>> layer.backward([4.0])
        array([ 1., -1.])
        >>> layer.dw, layer.db
        (array([[3., 3.]]), array([1.]))
        """
        g = self._check_like_y("delta", delta) * self.d_activation(self.y)
        return self._accumulate(g, need_dx)

    def loss_backward(self, ya, need_dx=True):
        """This layer's loss as the last layer: :meth:`mse_loss`, then :meth:`backward`.

        Parameters
        ----------
        ya : array_like, same shape as ``y``
        need_dx : bool

        Returns
        -------
        dx : ndarray, same shape as ``x`` (None if ``need_dx`` is False)

        Examples
        --------
        >>> layer = Layer(2, 1, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = 0, 0
        >>> _ = layer.forward([3.0, 4.0])
        >>> layer.loss_backward([1.0]), layer.loss, layer.dw
        (array([0., 0.]), 0.25, array([[-0.75, -1.  ]]))
        """
        return self.backward(self.mse_loss(ya), need_dx)


class ReLULayer(Layer):
    r"""A fully connected layer with ReLU activation :math:`y = \max(x W^T + b, 0)`.

    Same parameters, methods and errors as :class:`Layer`; only the activation differs.

    Examples
    --------
    >>> layer = ReLULayer(2, 2, rng=np.random.default_rng(0))
    >>> layer.w[:], layer.b[:] = [[1.0, 0.0], [-1.0, 0.0]], 0
    >>> layer.forward([2.0, 5.0])
    array([2., 0.])
    """

    activation = staticmethod(relu)
    d_activation = staticmethod(d_relu)


class SoftmaxLayer(Dense):
    r"""A fully connected layer with softmax output :math:`y = \mathrm{softmax}(x W^T + b)`.

    Use it as the last layer; its loss is the cross-entropy
    (:meth:`cross_entropy_loss_backward`). Besides ``y`` it keeps
    ``log_y = log_softmax(z)``, finite even where ``y`` underflows to 0, so the
    loss is never infinite. Parameters, attributes and
    errors as :class:`Dense`.

    Examples
    --------
    >>> layer = SoftmaxLayer(3, 4, rng=np.random.default_rng(0))
    >>> y = layer.forward(np.ones((2, 3)))
    >>> y.shape, np.allclose(y.sum(axis=1), 1)
    ((2, 4), True)
    """

    def forward(self, x):
        """Like :meth:`Layer.forward`, with softmax; also stores ``log_y``.

        Examples
        --------
        >>> layer = SoftmaxLayer(2, 2, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = [[1000.0, 0.0], [0.0, 0.0]], 0
        >>> layer.forward([1.0, 0.0]), layer.log_y
        (array([1., 0.]), array([    0., -1000.]))
        """
        self.x = self._check_input(x)
        self.log_y = log_softmax(self.x @ self.w.T + self.b)
        self.y = np.exp(self.log_y)  # softmax, without a second pass over z
        return self.y

    def backward(self, delta, need_dx=True):
        r"""Backward through the softmax for any loss: the Jacobian-vector product.

        Since :math:`\partial y_i / \partial z_k = y_i (\delta_{ik} - y_k)`,
        :math:`g = y \odot (\delta - \sum_i \delta_i y_i)`; then as :meth:`Layer.backward`.

        Examples
        --------
        >>> layer = SoftmaxLayer(2, 2, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = 0, 0
        >>> layer.forward([1.0, 1.0])
        array([0.5, 0.5])
        >>> layer.backward([1.0, 1.0])  # adding a constant to every y_i: no change
        array([0., 0.])
        """
        delta = self._check_like_y("delta", delta)
        g = self.y * (delta - np.sum(delta * self.y, axis=-1, keepdims=True))
        return self._accumulate(g, need_dx)

    def cross_entropy_loss_backward(self, ya, need_dx=True):
        r"""Add the cross-entropy loss to ``loss`` and accumulate its gradients; return dx.

        The loss is :math:`H(y_a, y) = -\sum_i y_{a,i} \log y_i`, computed from
        ``log_y``; for a one-hot ``ya`` it is the NLL :math:`-\log y_\ell`
        of the correct label :math:`\ell`. Softmax and cross-entropy together
        have the simple gradient :math:`\partial L / \partial z = y - y_a`, so
        :math:`\partial L / \partial w_{ij} = (y_i - y_{a,i})\, x_j`.

        Parameters
        ----------
        ya : array_like, same shape as ``y``
            One-hot target(s) (any distributions summing to 1 work).
        need_dx : bool
            As in :meth:`Layer.backward`: False returns None.

        Returns
        -------
        dx : ndarray, same shape as ``x``

        Examples
        --------
        >>> layer = SoftmaxLayer(2, 2, rng=np.random.default_rng(0))
        >>> layer.w[:], layer.b[:] = 0, 0
        >>> layer.forward([1.0, 3.0])
        array([0.5, 0.5])
        >>> layer.cross_entropy_loss_backward([0.0, 1.0]), round(layer.loss, 4)
        (array([0., 0.]), 0.6931)
        >>> layer.dw
        array([[ 0.5,  1.5],
               [-0.5, -1.5]])
        """
        ya = self._check_like_y("ya", ya)
        self.loss -= float(np.sum(ya * self.log_y))
        return self._accumulate(self.y - ya, need_dx)

    # the loss of this layer kind, under the name the trainer and gradient check call
    loss_backward = cross_entropy_loss_backward
