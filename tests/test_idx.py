"""Tests for mnistbook.idx: the strict IDX reader and the small writer."""

import gzip
import struct
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnistbook.idx import IDX_TYPES, IDXError, load_mnist, save_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def write(path, data, gz=False):
    """Write raw bytes, gzipped if asked; return the path."""
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def header(code, *shape):
    return struct.pack(f">HBB{len(shape)}I", 0, code, len(shape), *shape)


# --- reading good files ----------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_type_code_round_trips(tmp_path, dtype, gz):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else np.finfo(dtype)
    array = np.array([[info.min, 0, 1], [info.max, 2, 3]], dtype=dtype)
    path = tmp_path / "a.idx"
    save_idx(path, array, compress=gz)
    loaded = load_mnist(path)
    assert loaded.dtype == np.dtype(dtype)  # native byte order
    assert loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)


@pytest.mark.parametrize(
    "code, payload, expected",
    [
        (0x08, b"\x00\xff", np.array([0, 255], np.uint8)),
        (0x09, b"\x80\x7f", np.array([-128, 127], np.int8)),
        (0x0B, b"\xff\xfe\x01\x00", np.array([-2, 256], np.int16)),
        (0x0C, b"\x00\x00\x01\x02\xff\xff\xff\xff", np.array([258, -1], np.int32)),
        (0x0D, struct.pack(">2f", 1.5, -2.0), np.array([1.5, -2.0], np.float32)),
        (0x0E, struct.pack(">2d", 0.1, -1e300), np.array([0.1, -1e300], np.float64)),
    ],
)
def test_reads_big_endian_bytes_written_by_hand(tmp_path, code, payload, expected):
    path = write(tmp_path / "x", header(code, 2) + payload)
    np.testing.assert_array_equal(load_mnist(path), expected)
    assert load_mnist(path).dtype == expected.dtype


def test_mnist_like_shapes(tmp_path):
    images = np.arange(2 * 28 * 28).astype(np.uint8).reshape(2, 28, 28)
    save_idx(tmp_path / "images-idx3-ubyte.gz", images)
    save_idx(tmp_path / "labels-idx1-ubyte.gz", np.array([7, 2], np.uint8))
    assert load_mnist(tmp_path / "images-idx3-ubyte.gz").shape == (2, 28, 28)
    assert load_mnist(tmp_path / "labels-idx1-ubyte.gz").tolist() == [7, 2]


def test_format_is_detected_by_content_not_name(tmp_path):
    data = header(0x08, 3) + b"\x01\x02\x03"
    assert load_mnist(write(tmp_path / "plain.gz", data)).tolist() == [1, 2, 3]
    assert load_mnist(write(tmp_path / "gzipped.idx", data, gz=True)).tolist() == [1, 2, 3]


def test_empty_dimension_gives_empty_array(tmp_path):
    path = write(tmp_path / "x", header(0x08, 0, 28, 28))
    assert load_mnist(path).shape == (0, 28, 28)


def test_result_is_writable(tmp_path):
    for gz in (False, True):
        a = load_mnist(write(tmp_path / "x", header(0x08, 2) + b"\x01\x02", gz=gz))
        a[0] = 9  # chapters may modify what they load


def test_multi_member_gzip_is_one_stream(tmp_path):
    data = header(0x08, 4) + b"\x01\x02\x03\x04"
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(data[:6]) + gzip.compress(data[6:]))
    assert load_mnist(path).tolist() == [1, 2, 3, 4]


def test_save_idx_is_reproducible(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    save_idx(tmp_path / "a.gz", array)
    save_idx(tmp_path / "b.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


@pytest.mark.parametrize("array", [np.zeros(3, np.uint16), np.zeros(3, bool), np.array(5, np.uint8)])
def test_save_idx_rejects_what_idx_cannot_hold(tmp_path, array):
    with pytest.raises(ValueError, match="array"):
        save_idx(tmp_path / "x", array)


# --- malformed files -------------------------------------------------------------

GOOD = header(0x08, 2, 3) + bytes(range(6))

MALFORMED = {
    "empty file": (b"", "empty"),
    "truncated magic": (b"\x00\x00\x08", "truncated header"),
    "truncated dimensions": (header(0x08, 2, 3)[:9], "truncated header"),
    "wrong magic": (b"\x01\x00" + GOOD[2:], "not an IDX file"),
    "unknown type": (b"\x00\x00\x0a\x01" + GOOD[4:], "unknown IDX type code 0x0A"),
    "zero dimensions": (b"\x00\x00\x08\x00", "dimension count is 0"),
    "truncated data": (GOOD[:-1], "truncated data"),
    "no data": (header(0x08, 2, 3), "truncated data"),
    "trailing byte": (GOOD + b"\x00", "trailing bytes"),
    "half an item": (header(0x0C, 1) + b"\x00\x00", "truncated data"),
    "text file": (b"hello, this is not IDX\n", "not an IDX file"),
    "huge header": (header(0x0E, 0xFFFFFFFF, 0xFFFFFFFF) + b"\x00" * 8, "more than max_bytes"),
    "too many dimensions": (header(0x08, *[1] * 65) + b"\x07", "cannot be a NumPy array"),
    "empty but too big": (header(0x08, 0, *[0xFFFFFFFF] * 3), "cannot be a NumPy array"),
}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_files_raise_idxerror_naming_file_and_problem(tmp_path, case, gz):
    data, problem = MALFORMED[case]
    path = write(tmp_path / "bad-file.idx", data, gz=gz)
    with pytest.raises(IDXError, match=problem) as info:
        load_mnist(path)
    assert str(path) in str(info.value)


def test_idxerror_is_a_valueerror():
    assert issubclass(IDXError, ValueError)


def test_huge_declared_size_fails_fast_without_allocating(tmp_path):
    # 4 billion float64 items would need 32 GB: must be refused at once
    data = header(0x0E, 0xFFFFFFFF) + b"\x00" * 16
    for gz in (False, True):
        start = time.perf_counter()
        with pytest.raises(IDXError):
            load_mnist(write(tmp_path / "x", data, gz=gz))
        assert time.perf_counter() - start < 0.5


def gzipped_good():
    return gzip.compress(GOOD)


CORRUPT_GZIP = {
    "truncated stream": gzipped_good()[:-10],
    "flipped byte in data": gzipped_good()[:12] + bytes([gzipped_good()[12] ^ 0xFF]) + gzipped_good()[13:],
    "bad crc": gzipped_good()[:-8] + b"\x00\x00\x00\x00" + gzipped_good()[-4:],
    "trailing garbage": gzipped_good() + b"garbage!",
    "only the gzip magic": b"\x1f\x8b",
    "bad method": b"\x1f\x8b\x07" + gzipped_good()[3:],
}


@pytest.mark.parametrize("case", CORRUPT_GZIP)
def test_corrupt_gzip_raises_idxerror(tmp_path, case):
    path = write(tmp_path / "bad.gz", CORRUPT_GZIP[case])
    with pytest.raises(IDXError) as info:
        load_mnist(path)
    assert str(path) in str(info.value)


def test_missing_file_is_an_oserror_not_idxerror(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path / "nowhere.gz")


# --- property tests: random input only ever raises IDXError -----------------------

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_only_idxerror(path, data):
    path.write_bytes(data)
    try:
        array = load_mnist(path)
    except IDXError:
        return
    # anything accepted must be exactly what its header says
    assert array.dtype.isnative
    assert array.nbytes == len(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data) - 4 - 4 * array.ndim


@FAST
@given(data=st.binary(max_size=200))
def test_random_bytes_raise_only_idxerror(tmp_path, data):
    check_only_idxerror(tmp_path / "random", data)


@FAST
@given(data=st.binary(max_size=200))
def test_random_gzipped_bytes_raise_only_idxerror(tmp_path, data):
    check_only_idxerror(tmp_path / "random.gz", gzip.compress(data))


@FAST
@given(
    code=st.sampled_from([*IDX_TYPES, 0x00, 0x0A, 0xFF]),
    shape=st.lists(st.integers(0, 5), min_size=0, max_size=4),
    payload=st.binary(max_size=100),
    gz=st.booleans(),
)
def test_random_near_valid_files_raise_only_idxerror(tmp_path, code, shape, payload, gz):
    data = header(code, *shape) + payload
    check_only_idxerror(tmp_path / "near", gzip.compress(data) if gz else data)


@FAST
@given(cut=st.integers(0, 200), flip=st.integers(0, 200), bit=st.integers(0, 7))
def test_damaged_gzip_raises_only_idxerror(tmp_path, cut, flip, bit):
    data = bytearray(gzip.compress(header(0x0B, 3, 4) + bytes(range(24))))
    if flip < len(data):
        data[flip] ^= 1 << bit
    check_only_idxerror(tmp_path / "damaged.gz", bytes(data[: len(data) - cut % len(data)]))


@FAST
@given(
    code=st.sampled_from(list(IDX_TYPES)),
    shape=st.lists(st.sampled_from([0, 1, 2, 3, 0xFFFF, 0xFFFFFFFF]), min_size=1, max_size=255),
    payload=st.binary(max_size=40),
    gz=st.booleans(),
)
def test_any_header_raises_only_idxerror(tmp_path, code, shape, payload, gz):
    # up to 255 dimensions, zero-size and 4-billion-long ones: NumPy's own complaints must not leak
    data = header(code, *shape) + payload
    check_only_idxerror(tmp_path / "header", gzip.compress(data) if gz else data)


# --- bounded work: a size limit, checked before reading the data --------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_max_bytes_is_checked_against_the_header(tmp_path, gz):
    path = write(tmp_path / "six-bytes", GOOD, gz=gz)
    assert load_mnist(path, max_bytes=6).shape == (2, 3)
    with pytest.raises(IDXError, match=r"six-bytes: header shape \(2, 3\) needs 6 data bytes, "
                                       r"more than max_bytes=5"):
        load_mnist(path, max_bytes=5)


@pytest.mark.parametrize("max_bytes", [-1, 1.5, None, "big"])
def test_max_bytes_itself_is_checked(tmp_path, max_bytes):
    with pytest.raises(ValueError, match=r"^max_bytes: expected a whole number >= 0"):
        load_mnist(write(tmp_path / "x", GOOD), max_bytes=max_bytes)


def honest_huge_gzip(path, gib=4):
    """A ~4 MB .gz whose header truly describes its ``gib`` GiB of zeros (multi-member gzip)."""
    zeros = gzip.compress(bytes(1 << 24), compresslevel=9)  # 16 MiB of zeros, ~16 KB
    with open(path, "wb") as f:
        f.write(gzip.compress(header(0x08, 1 << 16, gib << 14)))
        for _ in range(gib << 6):
            f.write(zeros)
    return path


def test_a_small_gzip_that_honestly_holds_gigabytes_fails_fast_and_catchably(tmp_path, run_memory_limited):
    path = honest_huge_gzip(tmp_path / "huge-idx2-ubyte.gz")
    assert path.stat().st_size < 10 << 20
    start = time.perf_counter()
    done = run_memory_limited("from mnistbook.idx import IDXError, load_mnist", """
        try:
            load_mnist(sys.argv[1])
        except IDXError as e:
            print(e)
    """, path, headroom=512)
    assert done.returncode == 0, done.stderr
    assert str(path) in done.stdout and "more than max_bytes=1073741824" in done.stdout
    assert time.perf_counter() - start < 20  # startup of a Python with NumPy, not 4 GiB of inflating


def test_a_huge_sparse_plain_file_is_refused_without_reading(tmp_path):
    path = tmp_path / "sparse-idx1-ubyte"
    with open(path, "wb") as f:
        f.write(header(0x08, 0xFFFFFFFF))
        f.truncate(8 + 0xFFFFFFFF)  # 4 GiB, honest, and no disk space used
    start = time.perf_counter()
    with pytest.raises(IDXError, match="more than max_bytes"):
        load_mnist(path)
    assert time.perf_counter() - start < 0.5
