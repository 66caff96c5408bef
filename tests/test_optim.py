"""Tests for mnistbook.optim: Momentum and Adam against hand-written formulas."""
import numpy as np
import pytest

from mnistbook.layers import Layer, ReLULayer, SoftmaxLayer
from mnistbook.optim import Adam, Momentum
from mnistbook.training import accuracy, sgd


def layer_with(gradient, seed=0, dtype=np.float64):
    layer = Layer(3, 2, rng=np.random.default_rng(seed), dtype=dtype)
    layer.dw[:], layer.db[:] = gradient, 2 * gradient
    return layer


def test_momentum_zero_is_plain_update():
    a, b = layer_with(0.5), layer_with(0.5)
    Momentum(alpha=0.1, momentum=0.0).step([a])
    b.update(0.1)
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.b, b.b)


def test_momentum_matches_the_formula_over_steps():
    layer = layer_with(0.0)
    w0 = layer.w.copy()
    rng = np.random.default_rng(1)
    optimizer, velocity, w = Momentum(alpha=0.05, momentum=0.8), np.zeros_like(w0), w0.copy()
    for _ in range(4):
        grad = rng.normal(size=w0.shape)
        layer.dw[:] = grad
        optimizer.step([layer])
        velocity = 0.8 * velocity - 0.05 * grad
        w += velocity
    np.testing.assert_allclose(layer.w, w, rtol=1e-12)


def test_adam_matches_the_paper_formula():
    layer = layer_with(0.0)
    w = layer.w.copy()
    rng = np.random.default_rng(2)
    optimizer = Adam(alpha=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, 6):
        grad = rng.normal(size=w.shape)
        layer.dw[:] = grad
        optimizer.step([layer])
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        # the step folds the corrections into alpha; eps then sits at a slightly different place
        w -= 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8 / np.sqrt(1 - 0.999**t))
    np.testing.assert_allclose(layer.w, w, rtol=1e-10)


def test_adam_step_size_does_not_depend_on_the_gradient_scale():
    small, large = layer_with(1e-3), layer_with(1e3)
    Adam(alpha=0.01).step([small])
    Adam(alpha=0.01).step([large])
    np.testing.assert_allclose(small.w, large.w, rtol=1e-4)


@pytest.mark.parametrize("optimizer", [Momentum(), Adam()])
def test_step_clears_gradients_and_loss_and_keeps_dtype(optimizer):
    layer = layer_with(1.0, dtype=np.float32)
    layer.loss = 3.0
    optimizer.step([layer])
    assert not layer.dw.any() and not layer.db.any() and layer.loss == 0.0
    assert layer.w.dtype == layer.b.dtype == np.float32


def test_state_is_kept_per_layer():
    first, second = layer_with(1.0, seed=0), layer_with(-1.0, seed=1)
    optimizer = Momentum(alpha=0.1, momentum=0.9)
    optimizer.step([first, second])
    assert len(optimizer.state) == 2
    np.testing.assert_allclose(optimizer.state[first][0], -0.1)
    np.testing.assert_allclose(optimizer.state[second][0], 0.1)


@pytest.mark.parametrize("optimizer", [Momentum(alpha=0.01, momentum=0.9), Adam(alpha=0.01)])
def test_optimizers_train_a_network_with_sgd(optimizer):
    rng = np.random.default_rng(0)
    images = rng.random((300, 6))
    labels = images[:, :3].argmax(axis=1)
    layers = [ReLULayer(6, 16, rng=rng, init="he"), SoftmaxLayer(16, 3, rng=rng, init="he")]
    sgd(layers, images, labels, epochs=30, batch_size=20, rng=rng, optimizer=optimizer, progress=False)
    assert accuracy(layers, images, labels) > 0.9
