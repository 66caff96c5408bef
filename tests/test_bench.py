"""Tests for mnistbook.speed and the harness ``benchmarks/bench.py``, on tiny synthetic data.

No MNIST and no PyTorch needed; the whole module runs in a few seconds. Also
tests the ``need_dx`` shortcut of ``Layer.backward`` that the benchmark's
FLOP count (and the trainer's speed) relies on.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from mnistbook import speed
from mnistbook.data import MNIST
from mnistbook.layers import Dense, Layer, SoftmaxLayer
from mnistbook.training import train_step


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench  # noqa: E402  (the harness is a script beside the package, not part of it)

main = bench.main


def tiny_data(nin=12, n_train=300, n_test=60, seed=0):
    """Images whose label is the brightest of the first 10 pixels (learnable, no MNIST)."""
    rng = np.random.default_rng(seed)
    images = rng.random((n_train + n_test, nin))
    labels = images[:, :10].argmax(axis=1)
    return MNIST(images[:n_train], labels[:n_train], images[n_train:], labels[n_train:])


def run_tiny(**kwargs):
    options = dict(sizes=(12, 8, 10), batch_size=10, alpha=0.05, repeats=1, thread_counts=(1,),
                   use_torch=False, matmul_size=64)
    return bench.run_benchmark(tiny_data(), **{**options, **kwargs})


def test_epoch_flops_counts_the_needed_matrix_products():
    # forward and dw for both layers, dx for the second only: 2 N (2 (784*100 + 100*10) + 100*10)
    assert speed.epoch_flops((784, 100, 10), 60_000) == 2 * 60_000 * (2 * 79_400 + 1_000)
    assert speed.epoch_flops((3, 2), 5) == 2 * 5 * 2 * 6  # one layer: no dx at all


def test_result_structure_and_arithmetic():
    result = run_tiny()
    assert [row["name"][:3] for row in result["rows"]] == ["(1)", "(2)", "(3)", "(4)"]
    loop, f64, f32, torch = result["rows"]
    assert f64["dtype"] == "float64" and f32["dtype"] == "float32"
    assert all(0 <= row["test_accuracy"] <= 1 for row in (loop, f64, f32))
    assert torch["seconds"] is None and "skipped" in torch["note"]
    assert result["flops"] == speed.epoch_flops((12, 8, 10), 300)
    rate = result["matmul_gflops"]["used"]
    assert result["ideal_seconds"] == pytest.approx(result["flops"] / (rate * 1e9))
    assert result["threads"]["used"] == 1
    # same start, same order: the lecture's loop and batched float64 end at the same weights
    assert result["max_weight_difference"] < 1e-12
    assert loop["test_accuracy"] == f64["test_accuracy"]
    speedup, vs_torch, vs_ideal = result["targets"]
    assert speedup["ratio"] == pytest.approx(loop["seconds"] / f32["seconds"])
    assert speedup["holds"] == (speedup["ratio"] >= 20)
    assert vs_torch["ratio"] is None and vs_torch["holds"] is None
    assert vs_ideal["ratio"] == pytest.approx(f32["seconds"] / result["time_split"]["products_seconds"])
    json.dumps(result)  # plain Python values only


def test_time_split_is_in_the_result_and_the_table():
    result = run_tiny()
    split = result["time_split"]
    assert split["step_cost_sizes"] == [12, 2, 10]
    flops = speed.epoch_flops((12, 8, 10), 300)
    assert split["products_gflops"] == pytest.approx(flops / split["products_seconds"] / 1e9)
    assert 0 < split["step_cost_seconds"] and 0 < split["products_seconds"]
    assert "where (3)'s time goes" in bench.format_table(result)


def test_products_seconds_takes_a_short_last_minibatch():
    # 105 images in minibatches of 10: the last has 5 rows
    layers, _ = speed.make_network((4, 3, 2), seed=0, dtype=np.float32)
    assert speed.products_seconds(np.ones((105, 4), np.float32), layers, batch_size=10) > 0


def test_per_sample_subset_is_extrapolated_and_says_so():
    result = run_tiny(per_sample_images=50)
    loop = result["rows"][0]
    assert loop["extrapolated"] and loop["images_timed"] == 50
    assert loop["seconds"] == pytest.approx(loop["measured_seconds"] * 300 / 50)
    assert loop["test_accuracy"] is None and "extrapolated" in loop["note"]
    assert result["max_weight_difference"] is None
    table = bench.format_table(result)
    assert "* timed on 50 of 300 images and extrapolated" in table


def test_fastest_thread_count_is_used():
    result = run_tiny(thread_counts=(1, 2))
    seconds = result["threads"]["float32_seconds"]
    assert set(seconds) == {"1", "2"}
    assert result["threads"]["used"] == min((1, 2), key=lambda n: seconds[str(n)])
    assert result["rows"][2]["seconds"] == min(seconds.values())


def test_targets_are_checked_only_at_their_thread_count():
    rows = [{"seconds": 30.0}, {"seconds": 3.0}, {"seconds": 1.0}, {"seconds": 1.2}]
    result = {"rows": rows, "time_split": {"products_seconds": 0.5}, "threads": {"used": 2}}
    assert [t["holds"] for t in bench.check_targets(result)] == [None, None, None]
    result["threads"]["used"] = bench.TARGET_THREADS
    assert [t["holds"] for t in bench.check_targets(result)] == [True, False, True]
    two = run_tiny(thread_counts=(2,))
    assert "run with --threads 1 to check them" in bench.format_table(two)
    assert "run with --threads" not in bench.format_table(run_tiny())
    assert bench.parse_args([]).threads == [bench.TARGET_THREADS]


def test_check_targets():
    rows = [{"seconds": 30.0}, {"seconds": 3.0}, {"seconds": 1.0}, {"seconds": 1.2}]
    result = {"rows": rows, "time_split": {"products_seconds": 0.5}}
    speedup, vs_torch, vs_products = bench.check_targets(result)
    assert (speedup["ratio"], speedup["holds"]) == (30.0, True)
    assert vs_torch["ratio"] == pytest.approx(1 / 1.2) and vs_torch["holds"] is False
    assert (vs_products["ratio"], vs_products["holds"]) == (2.0, True)
    result["time_split"]["products_seconds"] = 0.49
    assert bench.check_targets(result)[2]["holds"] is False


def test_torch_missing_skips_its_row(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    row = run_tiny(use_torch=True)["rows"][3]
    assert row["seconds"] is None and "not installed" in row["note"]


def test_table_lists_rows_scale_and_verdicts():
    table = bench.format_table(run_tiny())
    for text in ("(1) per-sample loop", "(2) mnistbook batched, float64",
                 "(3) mnistbook batched, float32", "(4) PyTorch", "GFLOP/s", "ideal",
                 "using 1 BLAS thread", "at least 20x faster"):
        assert text in table, text
    assert table.count("target ") == 3 and "at most 2x its matrix products alone" in table
    assert "moonshot" in table


def test_command_line_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "load_dataset", lambda data_dir=None: tiny_data(nin=784, n_train=100))
    path = tmp_path / "out" / "bench.json"
    status = main(["--json", str(path), "--repeats", "1", "--threads", "1",
                   "--no-torch", "--matmul-size", "64"])
    assert status == 0
    result = json.loads(path.read_text())
    assert result["config"]["sizes"] == [784, 100, 10] and result["config"]["batch_size"] == 50
    assert len(result["rows"]) == 4 and len(result["targets"]) == 3
    out = capsys.readouterr().out
    assert "(3) mnistbook batched, float32" in out and f"written to {path}" in out


def test_command_line_check_fails_when_a_target_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "load_dataset", lambda data_dir=None: tiny_data(nin=784, n_train=100))
    failing = [{"target": "x", "ratio": 1.0, "bound": "<= 0.5", "holds": False}]
    monkeypatch.setattr(bench, "check_targets", lambda result: failing)
    args = ["--json", str(tmp_path / "b.json"), "--repeats", "1", "--threads", "1",
            "--no-torch", "--matmul-size", "64"]
    assert main(args) == 0
    assert main(args + ["--check"]) == 1


# --- the need_dx shortcut ----------------------------------------------------------


@pytest.mark.parametrize("cls", [Layer, SoftmaxLayer])
def test_backward_without_dx_accumulates_the_same_gradients(cls):
    rng = np.random.default_rng(0)
    x, delta = rng.random((6, 5)), rng.random((6, 3))
    full, short = (cls(5, 3, rng=np.random.default_rng(1)) for _ in range(2))
    for layer in (full, short):
        layer.forward(x)
    assert full.backward(delta).shape == (6, 5)
    assert short.backward(delta, need_dx=False) is None
    np.testing.assert_array_equal(full.dw, short.dw)
    np.testing.assert_array_equal(full.db, short.db)


def test_cross_entropy_backward_without_dx():
    rng = np.random.default_rng(0)
    layer = SoftmaxLayer(4, 3, rng=rng)
    layer.forward(rng.random((2, 4)))
    assert layer.cross_entropy_loss_backward(np.eye(3)[[0, 2]], need_dx=False) is None
    assert layer.dw.any() and layer.loss > 0


def test_train_step_skips_only_the_first_layers_dx(monkeypatch):
    rng = np.random.default_rng(0)
    layers = [Layer(4, 5, rng=rng), Layer(5, 3, rng=rng), SoftmaxLayer(3, 2, rng=rng)]
    calls = []
    original = Layer._accumulate  # inherited from Dense: patch the base

    def spy(self, g, need_dx=True):
        calls.append((self, need_dx))
        return original(self, g, need_dx)

    monkeypatch.setattr(Dense, "_accumulate", spy)
    train_step(layers, rng.random((7, 4)), np.eye(2)[rng.integers(0, 2, 7)])
    assert calls == [(layers[2], True), (layers[1], True), (layers[0], False)]
    calls.clear()
    train_step(layers[2:], rng.random((7, 3)), np.eye(2)[rng.integers(0, 2, 7)])
    assert calls == [(layers[2], False)]  # a single layer: no dx is needed at all


def test_sgd_rejects_non_finite_images_with_the_cheap_check():
    from mnistbook.training import sgd
    rng = np.random.default_rng(0)
    for bad in (np.nan, np.inf, -np.inf):
        images = rng.random((20, 4))
        images[7, 2] = bad
        with pytest.raises(ValueError, match="finite"):
            sgd([Layer(4, 2, rng=rng)], images, rng.integers(0, 2, 20), progress=False)
