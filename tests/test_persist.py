"""Tests for mnistbook.persist: exact round trip and clear errors."""
import numpy as np
import pytest

from mnistbook.layers import Layer, ReLULayer, SoftmaxLayer
from mnistbook.persist import load, save
from mnistbook.training import predict


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_exact(tmp_path, dtype):
    rng = np.random.default_rng(0)
    net = [Layer(6, 5, rng=rng, dtype=dtype), ReLULayer(5, 4, rng=rng, dtype=dtype, init="he"),
           SoftmaxLayer(4, 3, rng=rng, dtype=dtype)]
    path = tmp_path / "net"  # no suffix: the file is written exactly there
    save(path, net)
    assert path.exists()
    loaded = load(path)
    assert [type(layer) for layer in loaded] == [Layer, ReLULayer, SoftmaxLayer]
    for before, after in zip(net, loaded):
        assert after.w.dtype == after.b.dtype == after.dw.dtype == dtype
        np.testing.assert_array_equal(after.w, before.w)
        np.testing.assert_array_equal(after.b, before.b)
    x = rng.random((3, 6))
    np.testing.assert_array_equal(predict(loaded, x), predict(net, x))


def write(path, **arrays):
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def good_arrays():
    return {"0_class": np.array("Layer"), "0_w": np.zeros((3, 2)), "0_b": np.zeros(3)}


@pytest.mark.parametrize("change, match", [
    ({"0_b": None}, "missing array.*0_b"),
    ({"0_b": np.zeros(4)}, r"0_b: expected float64 shape \(3,\), got float64 \(4,\)"),
    ({"0_b": np.zeros(3, dtype=np.float32)}, "0_b: expected float64"),
    ({"0_w": np.zeros(3)}, r"0_w: expected a float array of shape \(nout, nin\), got float64 \(3,\)"),
    ({"0_w": np.zeros((3, 2), dtype=int)}, "0_w: expected a float array"),
    ({"0_class": np.array("Conv2d")}, "0_class: expected one of"),
    ({"0_class": None, "0_w": None, "0_b": None, "weights": np.zeros(2)}, "expected arrays 0_class"),
])
def test_bad_files_give_clear_errors(tmp_path, change, match):
    arrays = good_arrays() | change
    path = tmp_path / "bad.npz"
    write(path, **{name: array for name, array in arrays.items() if array is not None})
    with pytest.raises(ValueError, match=match):
        load(path)


def test_missing_second_layer_array(tmp_path):
    path = tmp_path / "bad.npz"
    write(path, **good_arrays(), **{"1_class": np.array("SoftmaxLayer"), "1_b": np.zeros(2)})
    with pytest.raises(ValueError, match="missing array.*1_w"):
        load(path)


def test_a_failed_save_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    good = [Layer(3, 2, rng=np.random.default_rng(0))]
    save(path, good)
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        save(path, [Layer(3, 2, rng=np.random.default_rng(1))])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]  # no temporary file left


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_diverged_network_is_not_saved(tmp_path, bad):
    layer = Layer(3, 2, rng=np.random.default_rng(0))
    layer.w[1, 2] = bad
    with pytest.raises(ValueError, match=r"layers\[0\]: the weights hold nan or inf"):
        save(tmp_path / "net.npz", [layer])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", b"PK\x03\x04broken"])
def test_load_of_something_else_names_the_file(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"model\.npz: not a network saved by mnistbook\.save"):
        load(path)


def test_load_of_a_single_npy_array_names_the_file(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match=r"array\.npy: not a network saved by mnistbook\.save"):
        load(path)
