"""Tests for mnistbook.functions: values, numerical safety, shapes, dtypes."""
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mnistbook.functions import (cross_entropy, d_relu, d_sigmoid, log_softmax, nll_loss, one_hot,
                                 relu, sigmoid, softmax)

logits = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
                elements=st.floats(-1e4, 1e4))


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow / divide / invalid warnings must not happen
        yield


def test_sigmoid_extremes_exact_and_silent():
    assert sigmoid(1000.0) == 1.0
    assert sigmoid(-1000.0) == 0.0
    np.testing.assert_array_equal(sigmoid(np.array([-1000.0, 1000.0], dtype=np.float32)), [0, 1])


def test_sigmoid_matches_formula():
    x = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(sigmoid(-x), 1 - sigmoid(x), atol=1e-15)


def test_derivatives_through_outputs():
    x = np.linspace(-5, 5, 11)
    h = 1e-6
    numerical = (sigmoid(x + h) - sigmoid(x - h)) / (2 * h)
    np.testing.assert_allclose(d_sigmoid(sigmoid(x)), numerical, rtol=1e-7)
    np.testing.assert_array_equal(relu([-1.0, 0.0, 2.5]), [0, 0, 2.5])
    np.testing.assert_array_equal(d_relu(relu([-1.0, 0.0, 2.5])), [0, 0, 1])


def test_softmax_and_log_softmax_large_inputs():
    np.testing.assert_array_equal(softmax([1000.0, 0.0]), [1.0, 0.0])
    np.testing.assert_array_equal(log_softmax([1000.0, 0.0]), [0.0, -1000.0])
    np.testing.assert_array_equal(log_softmax([-1000.0, 0.0]), [-1000.0, 0.0])
    np.testing.assert_allclose(softmax([1000.0, 1000.0]), [0.5, 0.5])


def test_exercise_4_6_reference_values():
    q = softmax([3.0, -2.0, 0.0, 9.0, 4.0])
    np.testing.assert_allclose(q, [0.00246, 0.0000165, 0.000122, 0.99073, 0.00668], rtol=3e-3)
    p = [0.1, 0.1, 0.5, 0.2, 0.1]
    assert cross_entropy(p, q) == pytest.approx(6.709, abs=1e-3)
    assert cross_entropy(q, p) == pytest.approx(1.616, abs=1e-3)


@settings(max_examples=50, deadline=None)
@given(logits)
def test_softmax_properties(x):
    y, log_y = softmax(x), log_softmax(x)
    assert np.isfinite(log_y).all() and (log_y <= 0).all()
    np.testing.assert_allclose(y.sum(axis=-1), 1, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_y), y, atol=1e-12)
    np.testing.assert_allclose(softmax(x - 7.0), y, atol=1e-12)  # shift invariant
    for row, y_row in zip(x, y):  # a batch is just its rows
        np.testing.assert_array_equal(softmax(row), y_row)


@settings(max_examples=50, deadline=None)
@given(logits, st.data())
def test_nll_loss_finite_and_equals_cross_entropy(x, data):
    labels = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1),
                                         min_size=len(x), max_size=len(x))))
    loss = nll_loss(log_softmax(x), labels)
    assert np.isfinite(loss) and loss >= 0
    assert loss == pytest.approx(sum(nll_loss(log_softmax(row), label) for row, label in zip(x, labels)))
    if np.ptp(x) < 100:  # there softmax does not underflow, so the naive form is finite too
        assert loss == pytest.approx(cross_entropy(one_hot(labels, x.shape[1]), softmax(x)))


def test_nll_loss_never_nan_even_for_minus_inf():
    assert nll_loss(np.array([0.0, -np.inf]), 1) == np.inf
    assert nll_loss(log_softmax([-1000.0, 1000.0]), 0) == 2000.0


def test_cross_entropy_zero_terms_and_batch_sum():
    assert cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0  # 0 log 0 = 0
    assert cross_entropy([1.0, 0.0], [0.0, 1.0]) == np.inf
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    q = np.array([[0.25, 0.75], [0.5, 0.5]])
    assert cross_entropy(p, q) == pytest.approx(cross_entropy(p[0], q[0]) + cross_entropy(p[1], q[1]))


def test_one_hot():
    np.testing.assert_array_equal(one_hot(3), np.eye(10)[3])
    batch = one_hot(np.array([1, 0], dtype=np.uint8), n=3, dtype=np.float32)
    assert batch.dtype == np.float32
    np.testing.assert_array_equal(batch, [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize("labels, match", [([[1, 2]], r"expected shape \(1,\), got \(1, 2\)"),
                                           ([1.5], "integers"), ([10], "0..9"), ([-1], "0..9")])
def test_one_hot_rejects_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        one_hot(labels)


def test_nll_loss_rejects_bad_label_shape():
    with pytest.raises(ValueError, match=r"labels: expected shape \(2,\), got \(3,\)"):
        nll_loss(np.zeros((2, 4)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"labels: expected shape \(\), got \(1,\)"):
        nll_loss(np.zeros(4), [0])
    with pytest.raises(ValueError, match=r"q: expected the shape of p, \(3,\), got \(4,\)"):
        cross_entropy(np.ones(3) / 3, np.ones(4) / 4)


@pytest.mark.parametrize("function", [sigmoid, d_sigmoid, relu, d_relu, softmax, log_softmax])
def test_float32_stays_float32_and_input_untouched(function):
    x = np.array([[-2.0, 0.5, 3.0]], dtype=np.float32)
    before = x.copy()
    assert function(x).dtype == np.float32
    np.testing.assert_array_equal(x, before)


# --- arguments out of range: a ValueError naming the argument, or a documented result ---

any_shape = st.lists(st.integers(0, 3), max_size=3).map(tuple)


@settings(deadline=None)  # the machine may be busy: no time limit per example
@given(shape=any_shape)
def test_softmax_takes_rows_of_at_least_one_entry(shape):
    x = np.zeros(shape)
    for function in (softmax, log_softmax):
        if len(shape) in (1, 2) and shape[-1] >= 1:
            y = function(x)
            assert y.shape == shape  # N = 0 rows: an empty result
            np.testing.assert_allclose(np.exp(y).sum(axis=-1) if function is log_softmax
                                       else y.sum(axis=-1), 1)
        else:
            with pytest.raises(ValueError, match=rf"^x: expected shape \(n,\) or \(N, n\) with n >= 1, "
                                                 rf"got {re.escape(str(shape))}$"):
                function(x)


@settings(deadline=None)  # the machine may be busy: no time limit per example
@given(shape=any_shape)
def test_losses_name_the_argument_with_the_bad_shape(shape):
    good = len(shape) in (1, 2) and shape[-1] >= 1
    labels = np.zeros(shape[:-1], dtype=int) if good else 0
    for name, call in [("log_probs", lambda: nll_loss(np.zeros(shape), labels)),
                       ("p", lambda: cross_entropy(np.zeros(shape), np.zeros(shape)))]:
        if good:
            assert call() == 0  # all-zero inputs: -log 1 or 0 log q, summed
        else:
            with pytest.raises(ValueError, match=rf"^{name}: expected shape"):
                call()


def test_losses_of_no_samples_are_zero():
    assert nll_loss(np.zeros((0, 3)), []) == 0
    assert cross_entropy(np.zeros((0, 3)), np.zeros((0, 3))) == 0


@settings(deadline=None)
@given(n=st.one_of(st.integers(-2, 12), st.floats(0, 12), st.booleans(), st.text(max_size=2)),
       labels=arrays(np.int64, st.integers(0, 4), elements=st.integers(-1, 11)))
def test_one_hot_checks_n_then_labels(n, labels):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        with pytest.raises(ValueError, match=r"^n: expected a whole number >= 1"):
            one_hot(labels, n=n)
    elif labels.size and (labels.min() < 0 or labels.max() >= n):
        with pytest.raises(ValueError, match=rf"^labels: expected values in 0\.\.{n - 1}"):
            one_hot(labels, n=n)
    else:
        vectors = one_hot(labels, n=n)
        assert vectors.shape == (len(labels), n) and vectors.sum() == len(labels)
        np.testing.assert_array_equal(vectors.argmax(axis=1), labels)


def test_one_hot_of_no_labels_and_its_dtype():
    assert one_hot([], n=3).shape == (0, 3)
    for bad in [int, "fast", bool]:
        with pytest.raises(ValueError, match="^dtype: expected a floating type"):
            one_hot([1], dtype=bad)


def test_one_hot_memory_grows_with_the_labels_not_with_n_squared():
    # np.eye(n)[labels] would build an (n, n) matrix: 80 GB for n = 100,000
    assert one_hot([3], n=100_000).shape == (1, 100_000)
