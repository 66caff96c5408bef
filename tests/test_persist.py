"""Tests for mnistbook.persist: exact round trip and clear errors."""
import io
import zipfile

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


# --- load reads only the arrays it uses ------------------------------------------


def add_member(path, name, header_shape, chunks=0, damage=False):
    """Append a .npy member of uint8 zeros (``chunks`` x 16 MiB, deflated) to an .npz archive."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False,
                                               "shape": header_shape})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
            member.write(buf.getvalue()[:10] if damage else buf.getvalue())
            for _ in range(chunks):
                member.write(bytes(1 << 24))


def test_load_never_reads_an_unrelated_member(tmp_path):
    path = tmp_path / "net.npz"
    save(path, [Layer(3, 2, rng=np.random.default_rng(0))])
    add_member(path, "notes", (5,), damage=True)  # a broken member nobody asked for
    (layer,) = load(path)
    assert layer.w.shape == (2, 3)


def test_load_does_not_decompress_a_huge_extra_member(tmp_path, run_memory_limited):
    path = tmp_path / "net.npz"
    save(path, [Layer(3, 2, rng=np.random.default_rng(0))])
    add_member(path, "extra", (1 << 29,), chunks=32)  # 512 MiB of zeros in a few hundred KB
    assert path.stat().st_size < 5 << 20
    done = run_memory_limited("from mnistbook import load", """
        print(load(sys.argv[1]))
    """, path, headroom=256)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[Layer(3, 2, dtype=float64)]"


def test_a_damaged_array_of_the_network_names_file_and_array(tmp_path):
    path = tmp_path / "net.npz"
    arrays = good_arrays()
    write(path, **{name: array for name, array in arrays.items() if name != "0_w"})
    add_member(path, "0_w", (3, 2), damage=True)
    with pytest.raises(ValueError, match=r"net\.npz: 0_w: not an array saved by mnistbook\.save"):
        load(path)


@pytest.mark.parametrize("path", [3, "", None])
def test_a_path_that_is_no_file_name_is_rejected_by_name(tmp_path, path):
    for call in (lambda: load(path), lambda: save(path, [Layer(3, 2, rng=np.random.default_rng(0))])):
        with pytest.raises(ValueError, match=r"^path: expected a file or folder name"):
            call()
