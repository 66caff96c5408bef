"""Tests for mnistbook.layers: batch == per sample, accumulation, dtypes, errors."""
import numpy as np
import pytest

from mnistbook.functions import one_hot, sigmoid
from mnistbook.layers import Layer, ReLULayer, SoftmaxLayer

LAYER_CLASSES = [Layer, ReLULayer, SoftmaxLayer]


def make(cls, nin=5, nout=4, seed=0, **kwargs):
    return cls(nin, nout, rng=np.random.default_rng(seed), **kwargs)


def run(layer, x, target, loss):
    """One forward/loss/backward call, as the lecture's loop does it.

    ``"mse"`` on a SoftmaxLayer feeds backward the squared error's delta by
    hand: SoftmaxLayer's own loss is cross-entropy, but its backward takes any.
    """
    layer.forward(x)
    if loss == "cross_entropy":
        return layer.cross_entropy_loss_backward(target)
    if isinstance(layer, SoftmaxLayer):
        diff = layer.y - target
        layer.loss += float(np.sum(diff * diff))
        return layer.backward(2 * diff)
    return layer.backward(layer.mse_loss(target))


CASES = [(Layer, "mse"), (ReLULayer, "mse"), (SoftmaxLayer, "mse"), (SoftmaxLayer, "cross_entropy")]


@pytest.mark.parametrize("cls, loss", CASES)
def test_batch_equals_one_sample_at_a_time(cls, loss):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 5))
    target = one_hot(rng.integers(0, 4, 7), n=4) if loss == "cross_entropy" else rng.random((7, 4))
    batched, single = make(cls), make(cls)
    dx_batch = run(batched, x, target, loss)
    dx_rows = np.array([run(single, x_s, t_s, loss) for x_s, t_s in zip(x, target)])
    np.testing.assert_allclose(batched.dw, single.dw, rtol=1e-10)
    np.testing.assert_allclose(batched.db, single.db, rtol=1e-10)
    assert batched.loss == pytest.approx(single.loss, rel=1e-10)
    np.testing.assert_allclose(dx_batch, dx_rows, rtol=1e-10)
    assert batched.y.shape == (7, 4) and single.y.shape == (4,)


def test_matches_the_lecture_formulas_for_one_sample():
    layer = make(Layer)
    x, ya = np.linspace(-1, 1, 5), np.full(4, 0.3)
    y = sigmoid(layer.w @ x + layer.b)
    np.testing.assert_allclose(layer.forward(x), y)
    delta = layer.backward(layer.mse_loss(ya))
    g = 2 * (y - ya) * y * (1 - y)
    np.testing.assert_allclose(layer.dw, np.outer(g, x))  # dL/dw_ij = g_i x_j
    np.testing.assert_allclose(layer.db, g)
    np.testing.assert_allclose(delta, g @ layer.w)
    assert layer.loss == pytest.approx(np.sum((y - ya) ** 2))


def test_softmax_cross_entropy_gradient_is_y_minus_target():
    layer = make(SoftmaxLayer)
    x, ya = np.arange(5.0), one_hot(2, n=4)
    y = layer.forward(x)
    layer.cross_entropy_loss_backward(ya)
    np.testing.assert_allclose(layer.dw, np.outer(y - ya, x))  # (y_i - y0_i) x_j
    assert layer.loss == pytest.approx(-np.log(y[2]))


def test_softmax_loss_finite_for_huge_logits():
    layer = make(SoftmaxLayer, nin=2, nout=2)
    layer.w[:], layer.b[:] = [[1e4, 0.0], [0.0, 0.0]], 0
    layer.forward([1.0, 0.0])
    assert layer.y[1] == 0.0 and np.isfinite(layer.log_y).all()
    layer.cross_entropy_loss_backward([0.0, 1.0])  # the label whose probability underflowed
    assert layer.loss == pytest.approx(1e4)


def test_gradients_accumulate_until_update():
    layer = make(Layer)
    x, ya = np.ones((3, 5)), np.zeros((3, 4))
    run(layer, x, ya, "mse")
    dw, db, loss = layer.dw.copy(), layer.db.copy(), layer.loss
    run(layer, x, ya, "mse")
    np.testing.assert_allclose(layer.dw, 2 * dw)
    np.testing.assert_allclose(layer.db, 2 * db)
    assert layer.loss == pytest.approx(2 * loss)
    w, b = layer.w.copy(), layer.b.copy()
    layer.update(0.1)
    np.testing.assert_allclose(layer.w, w - 0.2 * dw)
    np.testing.assert_allclose(layer.b, b - 0.2 * db)
    assert not layer.dw.any() and not layer.db.any() and layer.loss == 0


@pytest.mark.parametrize("cls, loss", CASES)
def test_float32_end_to_end(cls, loss):
    layer = make(cls, dtype=np.float32)
    x = np.random.default_rng(2).random((6, 5))  # float64 input is converted
    target = one_hot([0, 1, 2, 3, 0, 1], n=4)     # float64 target too
    dx = run(layer, x, target, loss)
    layer.update(0.1)
    for array in (layer.x, layer.y, dx, layer.w, layer.b, layer.dw, layer.db):
        assert array.dtype == np.float32


@pytest.mark.parametrize("cls", LAYER_CLASSES)
def test_same_seed_same_weights_in_both_dtypes(cls):
    a, b = make(cls), make(cls, dtype=np.float32)
    np.testing.assert_array_equal(a.w.astype(np.float32), b.w)
    assert ((-0.5 <= a.w) & (a.w < 0.5)).all() and ((-0.5 <= a.b) & (a.b < 0.5)).all()


@pytest.mark.parametrize("init", ["xavier", "he"])
def test_scaled_init(init):
    layer = Layer(400, 100, rng=np.random.default_rng(0), init=init)
    expected_std = np.sqrt(2 / 500) if init == "xavier" else np.sqrt(2 / 400)
    assert layer.w.std() == pytest.approx(expected_std, rel=0.05)
    assert not layer.b.any()


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="init"):
        Layer(2, 3, init="zeros")
    with pytest.raises(ValueError, match="dtype"):
        Layer(2, 3, dtype=np.int64)


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("cls", LAYER_CLASSES)
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 5, 1), ()])
def test_wrong_input_shape_names_both_shapes(cls, shape):
    with pytest.raises(ValueError, match=rf"x: expected shape \(5,\) or \(N, 5\), got {re_shape(shape)}"):
        make(cls).forward(np.zeros(shape))


@pytest.mark.parametrize("cls", LAYER_CLASSES)
def test_forward_is_cheap_and_leaves_value_checks_to_the_boundary(cls):
    # forward checks shapes only; predict, accuracy and sgd check the values once
    x = np.zeros((2, 5))
    x[1, 3] = np.nan
    with np.errstate(invalid="ignore"):
        assert np.isnan(make(cls).forward(x)[1]).all()


@pytest.mark.parametrize("cls", LAYER_CLASSES)
def test_each_layer_kind_has_its_own_loss(cls):
    layer = make(cls)
    assert {"loss_backward", "forward", "backward"} <= set(dir(layer))
    if cls is SoftmaxLayer:
        assert not hasattr(layer, "mse_loss") and not hasattr(layer, "d_activation")
        assert not hasattr(layer, "activation")
        assert SoftmaxLayer.loss_backward is SoftmaxLayer.cross_entropy_loss_backward


@pytest.mark.parametrize("nin, nout, name", [(0, 3, "nin"), (3, 0, "nout"), (-1, 2, "nin"),
                                             (2.5, 3, "nin"), (True, 3, "nin"), ("3", 2, "nin")])
def test_bad_sizes_are_rejected_by_name(nin, nout, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected a whole number >= 1"):
        Layer(nin, nout)


@pytest.mark.parametrize("kwargs, message", [
    ({"rng": 0}, r"^rng: expected a numpy.random.Generator such as np.random.default_rng\(0\), got 0"),
    ({"rng": np.random.RandomState(0)}, r"^rng: expected a numpy.random.Generator"),
    ({"dtype": np.int32}, r"^dtype: expected a floating type"),
    ({"dtype": "fast"}, r"^dtype: expected a floating type .* got 'fast'"),
    ({"init": "zeros"}, r"^init: expected 'uniform', 'xavier' or 'he'"),
])
def test_bad_options_are_rejected_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Layer(3, 2, **kwargs)


@pytest.mark.parametrize("alpha", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_update_checks_its_learning_rate_before_moving(alpha):
    layer = make(Layer)
    w, layer.dw[:] = layer.w.copy(), 1
    with pytest.raises(ValueError, match=r"^alpha: expected a finite number in \[0, inf\]"):
        layer.update(alpha)
    np.testing.assert_array_equal(layer.w, w)


def test_wrong_target_and_delta_shapes():
    layer = make(SoftmaxLayer)
    with pytest.raises(ValueError, match="forward"):
        layer.loss_backward(np.zeros(4))
    layer.forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"ya: expected shape \(3, 4\).*got \(4,\)"):
        layer.loss_backward(np.zeros(4))
    sigmoid_layer = make(Layer)
    sigmoid_layer.forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"ya: expected shape \(3, 4\).*got \(4,\)"):
        sigmoid_layer.mse_loss(np.zeros(4))
    with pytest.raises(ValueError, match=r"ya: expected shape \(3, 4\).*got \(3, 10\)"):
        layer.cross_entropy_loss_backward(np.zeros((3, 10)))
    with pytest.raises(ValueError, match=r"delta: expected shape \(3, 4\).*got \(3,\)"):
        layer.backward(np.zeros(3))


@pytest.mark.parametrize("cls, loss", CASES)
def test_caller_arrays_untouched(cls, loss):
    layer = make(cls)
    x, target = np.random.default_rng(3).random((4, 5)), one_hot([0, 1, 2, 3], n=4)
    x_before, target_before = x.copy(), target.copy()
    run(layer, x, target, loss)
    delta = np.ones((4, 4))
    layer.backward(delta)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(target, target_before)
    np.testing.assert_array_equal(delta, 1)


def test_repr():
    assert repr(make(ReLULayer, dtype=np.float32)) == "ReLULayer(5, 4, dtype=float32)"
