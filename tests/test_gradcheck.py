"""Gradient checks of every layer and loss, and of the checker itself."""
import numpy as np
import pytest

from mnistbook.functions import (cross_entropy, log_softmax, nll_loss, one_hot, sigmoid, softmax)
from mnistbook.gradcheck import check_layer, numerical_gradient, relative_error
from mnistbook.layers import Layer, ReLULayer, SoftmaxLayer


def test_numerical_gradient_of_a_known_function_leaves_x_alone():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-9)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("h", [0, -1e-5, float("nan"), float("inf"), "1e-5"])
def test_numerical_gradient_needs_a_positive_finite_step(h):
    with pytest.raises(ValueError, match=r"^h: expected a finite number in \(0, inf\]"):
        numerical_gradient(np.sum, [1.0], h=h)


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0
    assert relative_error([1e-20], [2e-20]) == pytest.approx(1 / 3)  # scale-free
    with pytest.raises(ValueError, match=r"expected shape \(2,\).*got \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))


class SoftmaxSquaredError(SoftmaxLayer):
    """Softmax output with a squared-error loss: exercises the softmax backward for any delta."""

    def loss_backward(self, ya, need_dx=True):
        diff = self.y - ya
        self.loss += float(np.sum(diff * diff))
        return self.backward(2 * diff, need_dx)


@pytest.mark.parametrize("cls, loss", [(Layer, "mse"), (ReLULayer, "mse"),
                                       (SoftmaxSquaredError, "mse"), (SoftmaxLayer, "cross_entropy")])
@pytest.mark.parametrize("batch", [None, 6])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_layer_and_loss(cls, loss, batch, dtype):
    rng = np.random.default_rng(4)
    layer = cls(5, 4, rng=rng, dtype=dtype)
    shape = (5,) if batch is None else (batch, 5)
    x = rng.normal(size=shape)
    labels = rng.integers(0, 4, size=shape[:-1])
    target = one_hot(labels, n=4) if loss == "cross_entropy" else rng.random(shape[:-1] + (4,))
    w_before = layer.w.copy()
    errors = check_layer(layer, x, target)
    assert set(errors) == {"w", "b", "x"}
    assert max(errors.values()) < 1e-6, errors
    np.testing.assert_array_equal(layer.w, w_before)  # the check ran on a copy
    assert layer.w.dtype == dtype and not layer.dw.any()


def test_check_layer_catches_a_wrong_backward():
    class WrongLayer(Layer):
        d_activation = staticmethod(lambda y: y)  # should be y * (1 - y)
    rng = np.random.default_rng(5)
    errors = check_layer(WrongLayer(3, 2, rng=rng), rng.random((4, 3)), rng.random((4, 2)))
    assert min(errors.values()) > 1e-2


def test_check_layer_uses_the_layers_own_loss(monkeypatch):
    calls = []
    original = SoftmaxLayer.loss_backward
    monkeypatch.setattr(SoftmaxLayer, "loss_backward",
                        lambda self, ya, need_dx=True: calls.append(1) or original(self, ya, need_dx))
    rng = np.random.default_rng(7)
    check_layer(SoftmaxLayer(2, 3, rng=rng), rng.random(2), one_hot(1, n=3))
    assert len(calls) == 2 * (6 + 3 + 2) + 1  # two per nudged number, one analytic pass


def test_function_gradients():
    rng = np.random.default_rng(6)
    z, labels, p = rng.normal(size=(3, 5)), np.array([0, 4, 2]), softmax(rng.normal(size=(3, 5)))
    # NLL of log-softmax: dL/dz = softmax(z) - one_hot
    numerical = numerical_gradient(lambda v: nll_loss(log_softmax(v), labels), z)
    assert relative_error(softmax(z) - one_hot(labels, n=5), numerical) < 1e-6
    # cross-entropy H(p, softmax(z)): dL/dz = softmax(z) * sum(p) - p
    numerical = numerical_gradient(lambda v: cross_entropy(p, softmax(v)), z)
    assert relative_error(softmax(z) * p.sum(axis=1, keepdims=True) - p, numerical) < 1e-6
    # sigmoid
    numerical = numerical_gradient(lambda v: np.sum(sigmoid(v)), z)
    assert relative_error(sigmoid(z) * (1 - sigmoid(z)), numerical) < 1e-6
