"""Read and write IDX files, the simple format the MNIST data comes in.

An IDX file is a header followed by the raw numbers, all big-endian::

    bytes 0-1   zero
    byte  2     type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64)
    byte  3     number of dimensions d
    4*d bytes   the size of each dimension, as unsigned 32-bit integers
    the rest    the items, row-major; exactly prod(sizes) of them

The files are often gzip-compressed; we tell by the first two bytes
(``1f 8b``), not by the file name.
"""

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from . import _checks

__all__ = ["IDXError", "load_mnist", "save_idx"]

# type code -> big-endian NumPy dtype
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # read gzip streams 1 MiB at a time
MAX_BYTES = 1 << 30  # default limit on the data of one file: 1 GiB, 20 times MNIST's largest


class IDXError(ValueError):
    """A file is not a well-formed IDX file (the message names file and problem)."""


def load_mnist(path, *, max_bytes=MAX_BYTES):
    """Read an IDX file (gzip-compressed or plain) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``"train-images-idx3-ubyte.gz"``.
    max_bytes : int, default ``MAX_BYTES`` (1 GiB)
        Refuse a file whose header promises more data bytes than this, before
        reading or decompressing any of it.

    Returns
    -------
    numpy.ndarray
        The array the header describes, in native byte order. For MNIST:
        images ``(N, 28, 28)`` uint8 and labels ``(N,)`` uint8.

    Raises
    ------
    IDXError
        If the file is not exactly a valid IDX file: empty, truncated,
        wrong magic, unknown type code, trailing bytes, corrupt gzip, a shape
        NumPy cannot hold, more data than ``max_bytes``, ...; the message names the file.
    ValueError
        If ``path`` is not a file name or ``max_bytes`` not a whole number >= 0.
    OSError
        If the file cannot be opened (missing, no permission).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = Path(tempfile.mkdtemp()) / "tiny-idx2-ubyte.gz"
    >>> save_idx(path, np.array([[0, 1, 2], [253, 254, 255]], dtype=np.uint8))
    >>> load_mnist(path)
    array([[  0,   1,   2],
           [253, 254, 255]], dtype=uint8)
    """
    path = _checks.path("path", path)
    max_bytes = _checks.count("max_bytes", max_bytes, 0)
    with open(path, "rb") as f:
        start = f.read(2)
        f.seek(0)
        if start == GZIP_MAGIC:
            try:
                with gzip.GzipFile(fileobj=f) as gz:
                    return _read_idx(gz, path, None, max_bytes)
            # a corrupt gzip stream shows up as any of these
            except (OSError, EOFError, zlib.error) as e:
                raise IDXError(f"{path}: corrupt gzip stream ({e})") from None
        return _read_idx(f, path, os.fstat(f.fileno()).st_size, max_bytes)


def _read_idx(f, path, size, max_bytes):
    """Parse an IDX stream ``f``; ``size`` is its length if known (plain files)."""
    magic = f.read(4)
    if len(magic) == 0:
        raise IDXError(f"{path}: empty file")
    if len(magic) < 4:
        raise IDXError(f"{path}: truncated header ({len(magic)} of 4 magic bytes)")
    zero, code, ndim = struct.unpack(">HBB", magic)
    if zero != 0:
        raise IDXError(f"{path}: not an IDX file (magic starts {magic[:2].hex(' ')}, expected 00 00)")
    if code not in IDX_TYPES:
        raise IDXError(f"{path}: unknown IDX type code 0x{code:02X}")
    if ndim == 0:
        raise IDXError(f"{path}: dimension count is 0, expected at least 1")
    raw_shape = f.read(4 * ndim)
    if len(raw_shape) < 4 * ndim:
        raise IDXError(f"{path}: truncated header ({len(raw_shape)} of {4 * ndim} dimension bytes)")
    shape = struct.unpack(f">{ndim}I", raw_shape)
    dtype = IDX_TYPES[code]
    declared = dtype.itemsize * math.prod(shape)  # a Python int: cannot overflow
    if declared > max_bytes:
        raise IDXError(f"{path}: header shape {shape} needs {declared} data bytes, "
                       f"more than max_bytes={max_bytes}")

    # check the real size against the declared one BEFORE allocating
    if size is not None:
        actual = size - 4 - 4 * ndim
        if actual != declared:
            raise IDXError(_size_problem(path, shape, declared, actual))
        data = np.empty(declared, dtype=np.uint8)
        if f.readinto(memoryview(data)) != declared:
            raise IDXError(f"{path}: file changed while being read")
    else:
        # gzip: the size is unknown up front, so never read more than declared + 1 bytes
        data = bytearray()
        while len(data) <= declared:
            chunk = f.read(min(_CHUNK, declared + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        if len(data) != declared:
            actual = len(data) if len(data) < declared else f"more than {declared}"
            raise IDXError(_size_problem(path, shape, declared, actual))
    try:
        array = np.frombuffer(data, dtype=dtype).reshape(shape)
    except ValueError as e:  # a shape NumPy cannot make, e.g. more than 64 dimensions
        raise IDXError(f"{path}: header shape {shape} cannot be a NumPy array ({e})") from None
    return array.astype(dtype.newbyteorder("="), copy=False)


def _size_problem(path, shape, declared, actual):
    kind = "truncated data" if isinstance(actual, int) and actual < declared else "trailing bytes"
    return f"{path}: {kind}: header shape {shape} needs {declared} data bytes, file has {actual}"


def save_idx(path, array, compress=None):
    """Write ``array`` to ``path`` as an IDX file.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write.
    array : numpy.ndarray
        Any shape with 1 to 255 dimensions; dtype uint8, int8, int16, int32,
        float32 or float64.
    compress : bool, optional
        gzip the file; by default, when the name ends in ``.gz``.

    Raises
    ------
    ValueError
        If IDX cannot hold the array (its dtype, its number of dimensions, or a
        dimension of 2**32 or more), or ``path`` is not a file name.
    OSError
        If the file cannot be written.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = Path(tempfile.mkdtemp()) / "labels-idx1-short"
    >>> save_idx(path, np.array([-1, 300], dtype=np.int16))
    >>> path.read_bytes().hex(" ")
    '00 00 0b 01 00 00 00 02 ff ff 01 2c'
    """
    path = _checks.path("path", path)
    array = np.asarray(array)
    code = next((c for c, t in IDX_TYPES.items() if t.newbyteorder("=") == array.dtype), None)
    if code is None:
        raise ValueError(f"array: IDX cannot store dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array: expected 1 to 255 dimensions, got shape {array.shape}")
    if max(array.shape) >= 1 << 32:
        raise ValueError(f"array: IDX sizes are 32-bit, got shape {array.shape}")
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    payload = array.astype(IDX_TYPES[code], copy=False).tobytes()
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        # no file name and mtime=0 keep the output byte-for-byte reproducible
        with open(path, "wb") as raw, gzip.GzipFile(
            "", "wb", compresslevel=6, fileobj=raw, mtime=0
        ) as f:
            f.write(header)
            f.write(payload)
    else:
        with open(path, "wb") as f:
            f.write(header)
            f.write(payload)
