"""Tests for mnistbook.training: steps, determinism, early stopping, divergence, progress."""
import re

import numpy as np
import pytest

from mnistbook.functions import one_hot
from mnistbook.layers import Layer, ReLULayer, SoftmaxLayer
from mnistbook.training import History, TrainingDiverged, accuracy, predict, sgd, train_step


def blobs(n, seed, noise=0.3):
    """Three Gaussian blobs in 4-D: a small problem a 4->8->3 net learns in seconds."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 1]], dtype=float)
    return centres[labels] + noise * rng.normal(size=(n, 4)), labels


def net(seed=0, last=SoftmaxLayer, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [Layer(4, 8, rng=rng, dtype=dtype), last(8, 3, rng=rng, dtype=dtype)]


def test_predict_and_accuracy():
    images, labels = blobs(50, 1)
    layers = net()
    y = predict(layers, images)
    assert y.shape == (50, 3)
    expected = np.mean(y.argmax(axis=1) == labels)
    assert accuracy(layers, images, labels) == accuracy(layers, images, labels, batch_size=7) == expected
    with pytest.raises(ValueError, match=r"labels: expected shape \(50,\), got \(49,\)"):
        accuracy(layers, images, labels[:-1])
    with pytest.raises(ValueError, match=r"images: expected shape \(N, 4\), got \(50, 3\)"):
        accuracy(layers, images[:, :3], labels)
    with pytest.raises(ValueError, match=r"x: expected shape \(4,\) or \(N, 4\), got \(50, 3\)"):
        predict(layers, images[:, :3])


@pytest.mark.parametrize("last", [Layer, SoftmaxLayer])
def test_train_step_is_the_lecture_loop(last):
    images, labels = blobs(10, 2)
    batched, looped = net(last=last), net(last=last)
    loss = train_step(batched, images, one_hot(labels, 3))
    for x, ya in zip(images, one_hot(labels, 3)):  # the lecture: one sample at a time
        looped[0].forward(x)
        looped[1].forward(looped[0].y)
        if last is SoftmaxLayer:
            looped[0].backward(looped[1].cross_entropy_loss_backward(ya))
        else:
            looped[0].backward(looped[1].backward(looped[1].mse_loss(ya)))
    assert loss == pytest.approx(looped[1].loss, rel=1e-10)
    for a, b in zip(batched, looped):
        np.testing.assert_allclose(a.dw, b.dw, rtol=1e-10)
        np.testing.assert_allclose(a.db, b.db, rtol=1e-10)


def test_sgd_learns_and_fills_history():
    images, labels = blobs(300, 3)
    layers = net()
    history = sgd(layers, images, labels, epochs=5, batch_size=20, alpha=0.2,
                  rng=np.random.default_rng(0), progress=False)
    assert isinstance(history, History)
    assert len(history.train_loss) == len(history.train_accuracy) == len(history.seconds) == 5
    assert len(history.batch_loss) == 5 * 15 and history.val_accuracy == []
    assert history.best_epoch is None
    assert history.train_loss[-1] < history.train_loss[0]
    assert 0 <= min(history.train_accuracy) and max(history.train_accuracy) <= 1
    assert accuracy(layers, images, labels) > 0.9


def test_same_seed_same_weights():
    images, labels = blobs(200, 4)
    runs = []
    for _ in range(2):
        layers = net(seed=7)
        sgd(layers, images, labels, epochs=1, rng=np.random.default_rng(11), progress=False)
        runs.append(layers)
    other = net(seed=7)
    sgd(other, images, labels, epochs=1, rng=np.random.default_rng(12), progress=False)
    for a, b, c in zip(*runs, other):
        np.testing.assert_array_equal(a.w, b.w)
        np.testing.assert_array_equal(a.b, b.b)
        assert not np.array_equal(a.w, c.w)  # the shuffling order matters


def test_early_stopping_restores_best_weights():
    images, labels = blobs(150, 5)
    val_images, _ = blobs(150, 6)
    val_labels = np.random.default_rng(0).integers(0, 3, 150)  # noise: accuracy soon stops improving
    layers = net()
    history = sgd(layers, images, labels, epochs=100, batch_size=10, alpha=0.3,
                  rng=np.random.default_rng(1), validation=(val_images, val_labels),
                  patience=3, progress=False)
    epochs_run = len(history.val_accuracy)
    assert epochs_run < 100
    assert epochs_run == history.best_epoch + 3
    assert history.val_accuracy[history.best_epoch - 1] == max(history.val_accuracy)
    assert accuracy(layers, val_images, val_labels) == max(history.val_accuracy)


def test_without_patience_validation_only_monitors():
    images, labels = blobs(100, 7)
    layers = net()
    history = sgd(layers, images, labels, epochs=3, rng=np.random.default_rng(0),
                  validation=blobs(60, 8), progress=False)
    assert len(history.val_accuracy) == 3 and history.best_epoch in (1, 2, 3)
    assert accuracy(layers, *blobs(60, 8)) == history.val_accuracy[-1]
    with pytest.raises(ValueError, match="validation"):
        sgd(layers, images, labels, patience=2, progress=False)


def test_data_is_checked_once_however_many_epochs(monkeypatch):
    import mnistbook.training as training
    checked = []
    real = training._check_data
    monkeypatch.setattr(training, "_check_data",
                        lambda *args: checked.append(args[-1] if len(args) == 4 else "") or real(*args))
    history = sgd(net(), *blobs(100, 7), epochs=4, rng=np.random.default_rng(0),
                  validation=blobs(60, 8), progress=False)
    assert len(history.val_accuracy) == 4
    assert checked == ["", "validation "]  # the training data, the validation data: once each


def test_huge_learning_rate_raises_training_diverged():
    images, labels = blobs(200, 9)
    rng = np.random.default_rng(0)
    layers = [ReLULayer(4, 8, rng=rng), ReLULayer(8, 8, rng=rng), SoftmaxLayer(8, 3, rng=rng)]
    with pytest.raises(TrainingDiverged, match=r"epoch 1\b.*smaller learning rate") as caught:
        sgd(layers, images, labels, epochs=3, alpha=1e200, rng=rng, progress=False)
    assert isinstance(caught.value, ArithmeticError)


def test_optimizer_replaces_update():
    class CountingOptimizer:
        steps = 0

        def step(self, layers):
            self.steps += 1
            for layer in layers:
                layer.update(0.1)

    images, labels = blobs(95, 10)
    optimizer = CountingOptimizer()
    sgd(net(), images, labels, epochs=2, batch_size=10, optimizer=optimizer, progress=False)
    assert optimizer.steps == 2 * 10  # the last batch of each epoch has 5 samples


def test_float32_training_keeps_float32():
    images, labels = blobs(100, 11)
    layers = net(dtype=np.float32)
    before = images.copy()
    sgd(layers, images, labels, rng=np.random.default_rng(0), progress=False)
    assert all(a.dtype == np.float32 for layer in layers for a in (layer.w, layer.b, layer.dw))
    np.testing.assert_array_equal(images, before)  # the caller's data is untouched


def test_bad_training_data():
    images, labels = blobs(20, 12)
    with pytest.raises(ValueError, match=r"^images: expected shape \(N, 4\), got \(20, 3\)"):
        sgd(net(), images[:, :3], labels, progress=False)
    with pytest.raises(ValueError, match=r"labels: expected shape \(20,\), got \(20, 3\)"):
        sgd(net(), images, one_hot(labels, 3), progress=False)
    images[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        sgd(net(), images, labels, progress=False)
    with pytest.raises(ValueError, match="take 8 inputs, got 5"):
        sgd([Layer(4, 8), Layer(5, 3)], blobs(20, 12)[0], labels, progress=False)


def test_progress_lines_and_silence(capsys):
    images, labels = blobs(60, 13)
    sgd(net(), images, labels, epochs=2, rng=np.random.default_rng(0),
        validation=blobs(30, 14))  # one line per epoch by default
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    pattern = (r"epoch 2/2: train loss \d+\.\d{4}, train acc \d\.\d{4}, val acc \d\.\d{4}, "
               r"\d+\.\d s")
    assert re.fullmatch(pattern, lines[1]), lines[1]
    sgd(net(), images, labels, epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")


# --- the seams: one step interface, divergence from values, errors as themselves -----


def test_default_step_is_sgd_and_equals_update():
    from mnistbook.optim import SGD
    images, labels = blobs(40, 20)
    by_default, by_sgd, by_hand = net(), net(), net()
    sgd(by_default, images, labels, alpha=0.1, rng=np.random.default_rng(0), progress=False)
    sgd(by_sgd, images, labels, optimizer=SGD(0.1), rng=np.random.default_rng(0), progress=False)
    order = np.random.default_rng(0).permutation(40)
    for first in range(0, 40, 50):
        batch = order[first:first + 50]
        train_step(by_hand, images[batch], one_hot(labels[batch], 3))
        for layer in by_hand:
            layer.update(0.1)
    for a, b, c in zip(by_default, by_sgd, by_hand):
        np.testing.assert_array_equal(a.w, b.w)
        np.testing.assert_array_equal(a.w, c.w)


class BuggyOptimizer:
    """A user's optimizer with a bug: its own error must reach the user unchanged."""

    def step(self, layers):
        raise ValueError("my optimizer has a bug")


@pytest.mark.parametrize("error", [ValueError("my optimizer has a bug"), FloatingPointError("mine"),
                                   ZeroDivisionError("mine too")])
def test_a_users_optimizer_that_raises_keeps_its_own_error(error):
    class Raising:
        def step(self, layers):
            raise error

    images, labels = blobs(20, 21)
    with pytest.raises(type(error)) as caught:
        sgd(net(), images, labels, optimizer=Raising(), progress=False)
    assert caught.value is error


def test_divergence_in_the_last_minibatch_is_caught():
    class JumpAtTheEnd:
        """Plain steps, then a last one that sends a weight to infinity."""

        def __init__(self, steps):
            self.steps, self.taken = steps, 0

        def step(self, layers):
            self.taken += 1
            for layer in layers:
                if self.taken == self.steps:
                    layer.w[0, 0] = np.inf
                layer.clear()

    images, labels = blobs(100, 22)
    with pytest.raises(TrainingDiverged, match="epoch 1: the weights or outputs became nan or infinite"):
        sgd(net(), images, labels, batch_size=10, optimizer=JumpAtTheEnd(10), progress=False)


@pytest.mark.parametrize("make_optimizer", ["SGD", "Momentum", "Adam"])
@pytest.mark.parametrize("batch_size", [1, 7, 100])
@pytest.mark.parametrize("epochs", [1, 3])
def test_divergence_always_ends_in_training_diverged(make_optimizer, batch_size, epochs):
    from mnistbook import optim
    images, labels = blobs(100, 23)
    rng = np.random.default_rng(0)
    layers = [ReLULayer(4, 8, rng=rng), ReLULayer(8, 8, rng=rng), SoftmaxLayer(8, 3, rng=rng)]
    with pytest.raises(TrainingDiverged, match="smaller learning rate"):
        sgd(layers, images, labels, epochs=epochs, batch_size=batch_size, rng=rng,
            optimizer=getattr(optim, make_optimizer)(alpha=1e300),
            validation=blobs(20, 24), progress=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, r"^batch_size: expected a whole number >= 1, got 0"),
    ({"batch_size": 2.5}, r"^batch_size: expected a whole number >= 1"),
    ({"epochs": 0}, r"^epochs: expected a whole number >= 1, got 0"),
    ({"alpha": float("nan")}, r"^alpha: expected a finite number in \(0, inf\]"),
    ({"alpha": -0.1}, r"^alpha: expected a finite number"),
    ({"alpha": 0.1, "optimizer": object()}, r"^alpha: give the learning rate to the optimizer"),
    ({"optimizer": object()}, r"^optimizer: expected an object with a step"),
    ({"patience": 0, "validation": blobs(5, 25)}, r"^patience: expected a whole number >= 1"),
    ({"patience": 2}, r"^patience: early stopping needs validation"),
    ({"validation": blobs(5, 25)[0]}, r"^validation: expected a pair"),
    ({"rng": 0}, r"^rng: expected a numpy.random.Generator"),
    ({"rng": np.random.RandomState(0)}, r"^rng: expected a numpy.random.Generator"),
])
def test_bad_arguments_are_rejected_before_training_naming_the_argument(kwargs, message):
    images, labels = blobs(20, 26)
    layers = net()
    before = [layer.w.copy() for layer in layers]
    with pytest.raises(ValueError, match=message):
        sgd(layers, images, labels, progress=False, **kwargs)
    for layer, w in zip(layers, before):
        np.testing.assert_array_equal(layer.w, w)  # nothing was trained


def test_empty_data_and_empty_networks_are_rejected():
    images, labels = blobs(20, 27)
    with pytest.raises(ValueError, match="images: expected at least one sample"):
        sgd(net(), images[:0], labels[:0], progress=False)
    with pytest.raises(ValueError, match="images: expected at least one sample"):
        accuracy(net(), images[:0], labels[:0])
    with pytest.raises(ValueError, match="layers: expected a non-empty list"):
        sgd([], images, labels, progress=False)
    assert predict(net(), images[:0]).shape == (0, 3)  # an empty batch has empty predictions


def test_non_finite_start_weights_are_rejected():
    layers = net()
    layers[1].b[0] = np.nan
    with pytest.raises(ValueError, match="layers: the weights hold nan or inf before training"):
        sgd(layers, *blobs(20, 28), progress=False)
