"""Optimizers: how a step moves the weights, for ``sgd(..., optimizer=...)``.

Every optimizer is an :class:`Optimizer`: ``step(layers)`` moves each
``(parameter, gradient)`` pair of each layer (``layer.parameters()``, that is
``(w, dw)`` and ``(b, db)``), then clears the layer's gradients and loss with
``layer.clear()``. A subclass only says how one parameter moves (``move``) and
what it remembers per parameter between steps (``start``): nothing for plain
:class:`SGD`, a velocity for :class:`Momentum`, two moment estimates for
:class:`Adam`.
"""
import numpy as np

from . import _checks


class Optimizer:
    """The one step every optimizer takes; subclasses define ``move`` (and ``start``).

    ``move(param, grad, state)`` changes ``param`` in place; ``state`` is what
    ``start(param)`` returned for it the first time (None by default).

    Attributes
    ----------
    t : int
        Steps taken so far.
    """

    def __init__(self):
        self.t = 0
        self.state = {}  # layer -> one state per parameter

    def start(self, param):
        """What to remember for a parameter before its first step (nothing, by default)."""
        return None

    def step(self, layers):
        """Move every layer's parameters one step; clear their gradients and loss."""
        self.t += 1
        for layer in layers:
            pairs = layer.parameters()
            if layer not in self.state:
                self.state[layer] = [self.start(param) for param, _ in pairs]
            for (param, grad), state in zip(pairs, self.state[layer]):
                self.move(param, grad, state)
            layer.clear()


class SGD(Optimizer):
    r"""Plain gradient descent, the lecture's step: :math:`\theta \leftarrow \theta - \alpha g`.

    ``SGD(alpha).step(layers)`` does what ``layer.update(alpha)`` does for each layer.

    Parameters
    ----------
    alpha : float
        Learning rate, > 0.

    Raises
    ------
    ValueError
        If a hyper-parameter is outside its range (the message names it).

    Examples
    --------
    >>> from mnistbook.layers import Layer
    >>> layer = Layer(1, 1, rng=np.random.default_rng(0))
    >>> layer.w[:], layer.b[:] = 0, 0
    >>> layer.dw[:] = 2
    >>> SGD(alpha=0.1).step([layer])
    >>> layer.w, layer.dw
    (array([[-0.2]]), array([[0.]]))
    """

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = _checks.number("alpha", alpha, 0, low_open=True)

    def move(self, param, grad, state):
        param -= self.alpha * grad


class Momentum(Optimizer):
    r"""Gradient descent with momentum (heavy ball).

    Each parameter :math:`\theta` with gradient :math:`g` keeps a velocity
    :math:`v`, a running sum of past steps that decays by ``momentum`` per step:

    .. math:: v \leftarrow \mu v - \alpha g, \qquad \theta \leftarrow \theta + v

    Steps in a consistent direction add up (up to :math:`1/(1-\mu)` times a
    plain step); steps that flip sign from batch to batch cancel out.

    Parameters
    ----------
    alpha : float
        Learning rate :math:`\alpha`, > 0.
    momentum : float
        Decay :math:`\mu` of the velocity, in [0, 1); 0 is plain :class:`SGD`.

    Raises
    ------
    ValueError
        If a hyper-parameter is outside its range (the message names it).

    Examples
    --------
    >>> from mnistbook.layers import Layer
    >>> layer = Layer(1, 1, rng=np.random.default_rng(0))
    >>> layer.w[:], layer.b[:] = 0, 0
    >>> optimizer = Momentum(alpha=0.1, momentum=0.5)
    >>> for _ in range(3):
    ...     layer.dw[:] = 1  # the same gradient three times: the steps grow
    ...     optimizer.step([layer])
    ...     print(layer.w)
    [[-0.1]]
    [[-0.25]]
    [[-0.425]]
    """

    def __init__(self, alpha=0.01, momentum=0.9):
        super().__init__()
        self.alpha = _checks.number("alpha", alpha, 0, low_open=True)
        self.momentum = _checks.number("momentum", momentum, 0, 1, high_open=True)

    def start(self, param):
        return np.zeros_like(param)  # start at rest

    def move(self, param, grad, velocity):
        velocity *= self.momentum  # old steps fade ...
        velocity -= self.alpha * grad  # ... the new gradient adds
        param += velocity


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, divided by a running size of the gradient.

    For each parameter, with gradient :math:`g` at step :math:`t`:

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \\
        \theta &\leftarrow \theta - \alpha\,
            \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    :math:`m` averages the gradient (momentum), :math:`v` its square; dividing
    by :math:`\sqrt{v}` gives every weight a step of about :math:`\alpha`,
    whatever the scale of its gradient (so a summed and a mean loss need the
    same :math:`\alpha`). The factors :math:`1 - \beta^t` undo the bias of
    starting :math:`m, v` at 0; as in the paper's efficient form, ``step``
    folds them into :math:`\alpha` (which moves :math:`\epsilon` slightly).

    Parameters
    ----------
    alpha : float
        Learning rate: roughly the size of a step; > 0.
    beta1, beta2 : float
        Decay of the running mean of :math:`g` and of :math:`g^2`, each in [0, 1).
    eps : float
        Keeps the division finite where :math:`v = 0`; > 0.

    Raises
    ------
    ValueError
        If a hyper-parameter is outside its range (the message names it).

    Examples
    --------
    >>> from mnistbook.layers import Layer
    >>> layer = Layer(1, 1, rng=np.random.default_rng(0))
    >>> layer.w[:], layer.b[:] = 0, 0
    >>> optimizer = Adam(alpha=0.1)
    >>> layer.dw[:] = 1000.0  # a huge gradient still makes a step of about alpha
    >>> optimizer.step([layer])
    >>> layer.w.round(6), layer.dw
    (array([[-0.1]]), array([[0.]]))
    """

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__()
        self.alpha = _checks.number("alpha", alpha, 0, low_open=True)
        self.beta1 = _checks.number("beta1", beta1, 0, 1, high_open=True)
        self.beta2 = _checks.number("beta2", beta2, 0, 1, high_open=True)
        self.eps = _checks.number("eps", eps, 0, low_open=True)

    def start(self, param):
        return np.zeros_like(param), np.zeros_like(param)  # m, v

    def move(self, param, grad, state):
        m, v = state
        m += (1 - self.beta1) * (grad - m)
        v += (1 - self.beta2) * (grad * grad - v)
        # both bias corrections folded into the step size (a Python float keeps float32 float32)
        alpha = self.alpha * (1 - self.beta2**self.t) ** 0.5 / (1 - self.beta1**self.t)
        param -= alpha * m / (np.sqrt(v) + self.eps)
