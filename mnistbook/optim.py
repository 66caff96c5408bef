"""Optimizers: better steps than ``w -= alpha * dw``, for ``sgd(..., optimizer=...)``.

An optimizer has one method, ``step(layers)``: it moves every layer's ``w``
and ``b`` using the gradients ``dw``, ``db`` that the minibatch accumulated,
then clears them (and ``loss``) exactly as ``Layer.update`` does. Whatever it
remembers between steps (velocities, moment estimates) it keeps per layer.
"""
import numpy as np


def _clear(layer):
    """Zero the accumulated gradients and loss, as ``Layer.update`` does after its step."""
    layer.dw.fill(0)
    layer.db.fill(0)
    layer.loss = 0.0


class Momentum:
    r"""Gradient descent with momentum (heavy ball).

    Each parameter :math:`\theta` with gradient :math:`g` keeps a velocity
    :math:`v`, a running sum of past steps that decays by ``momentum`` per step:

    .. math:: v \leftarrow \mu v - \alpha g, \qquad \theta \leftarrow \theta + v

    Steps in a consistent direction add up (up to :math:`1/(1-\mu)` times a
    plain step); steps that flip sign from batch to batch cancel out.

    Parameters
    ----------
    alpha : float
        Learning rate :math:`\alpha`.
    momentum : float
        Decay :math:`\mu` of the velocity, in [0, 1); 0 is plain ``update(alpha)``.

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
        self.alpha, self.momentum = alpha, momentum
        self.velocities = {}  # layer -> (velocity of w, velocity of b)

    def step(self, layers):
        """Move every layer's ``w`` and ``b`` one step; clear their gradients."""
        for layer in layers:
            if layer not in self.velocities:  # start at rest
                self.velocities[layer] = (np.zeros_like(layer.w),
                                          np.zeros_like(layer.b))
            params, grads = (layer.w, layer.b), (layer.dw, layer.db)
            for param, grad, velocity in zip(params, grads,
                                             self.velocities[layer]):
                velocity *= self.momentum  # old steps fade ...
                velocity -= self.alpha * grad  # ... the new gradient adds
                param += velocity
            _clear(layer)


class Adam:
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
        Learning rate: roughly the size of a step.
    beta1, beta2 : float
        Decay of the running mean of :math:`g` and of :math:`g^2`.
    eps : float
        Keeps the division finite where :math:`v = 0`.

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
        self.alpha, self.beta1, self.beta2, self.eps = alpha, beta1, beta2, eps
        self.t = 0  # steps taken
        self.moments = {}  # layer -> [(m, v) of w, (m, v) of b]

    def step(self, layers):
        """Move every layer's ``w`` and ``b`` one Adam step; clear their gradients."""
        self.t += 1
        # both bias corrections folded into the step size (a Python float keeps float32 float32)
        alpha = self.alpha * (1 - self.beta2**self.t) ** 0.5 / (1 - self.beta1**self.t)
        for layer in layers:
            if layer not in self.moments:
                self.moments[layer] = [(np.zeros_like(p), np.zeros_like(p))
                                       for p in (layer.w, layer.b)]
            params, grads = (layer.w, layer.b), (layer.dw, layer.db)
            for param, grad, (m, v) in zip(params, grads, self.moments[layer]):
                m += (1 - self.beta1) * (grad - m)
                v += (1 - self.beta2) * (grad * grad - v)
                param -= alpha * m / (np.sqrt(v) + self.eps)
            _clear(layer)
