"""Save a list of layers to one ``.npz`` file and load it back, exactly.

For layer ``i`` the file holds three arrays: ``{i}_class`` (the class name),
``{i}_w`` and ``{i}_b`` (whose dtype is the layer's dtype).
"""
import numpy as np

from .layers import Layer, ReLULayer, SoftmaxLayer

LAYER_CLASSES = {cls.__name__: cls for cls in (Layer, ReLULayer, SoftmaxLayer)}


def save(path, layers):
    """Write the layers' classes, weights and biases to ``path`` (a ``.npz`` file).

    Parameters
    ----------
    path : str or path-like
        File to write, used exactly as given (no suffix is added).
    layers : list of Layer

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mnistbook.layers import Layer, SoftmaxLayer
    >>> rng = np.random.default_rng(0)
    >>> net = [Layer(4, 3, rng=rng), SoftmaxLayer(3, 2, rng=rng)]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
    >>> save(path, net)
    >>> [type(layer).__name__ for layer in load(path)]
    ['Layer', 'SoftmaxLayer']
    """
    arrays = {}
    for i, layer in enumerate(layers):
        arrays[f"{i}_class"] = np.array(type(layer).__name__)
        arrays[f"{i}_w"], arrays[f"{i}_b"] = layer.w, layer.b
    with open(path, "wb") as file:  # an open file: np.savez would otherwise append ".npz"
        np.savez(file, **arrays)


def load(path):
    """Read layers written by :func:`save`; return new layer objects.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    list of Layer
        Same classes, dtypes, weights and biases as the saved ones (bit for bit).

    Raises
    ------
    ValueError
        If an array is missing, or has the wrong shape or type.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mnistbook.layers import ReLULayer
    >>> layer = ReLULayer(3, 2, rng=np.random.default_rng(0), dtype=np.float32)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "relu.npz"
    >>> save(path, [layer])
    >>> (copy,) = load(path)
    >>> copy, np.array_equal(copy.w, layer.w)
    (ReLULayer(3, 2, dtype=float32), True)
    """
    with np.load(path, allow_pickle=False) as data:
        arrays = dict(data)
    count = sum(1 for name in arrays if name.endswith("_class"))
    if count == 0:
        raise ValueError(f"{path}: expected arrays 0_class, 0_w, 0_b, ..., got {sorted(arrays)}")
    layers = []
    for i in range(count):
        missing = [f"{i}_{part}" for part in ("class", "w", "b") if f"{i}_{part}" not in arrays]
        if missing:
            raise ValueError(f"{path}: missing array(s) {', '.join(missing)}")
        name, w, b = str(arrays[f"{i}_class"]), arrays[f"{i}_w"], arrays[f"{i}_b"]
        if name not in LAYER_CLASSES:
            raise ValueError(f"{path}: {i}_class: expected one of {sorted(LAYER_CLASSES)}, got {name!r}")
        if w.ndim != 2 or not np.issubdtype(w.dtype, np.floating):
            raise ValueError(f"{path}: {i}_w: expected a float array of shape (nout, nin), "
                             f"got {w.dtype} {w.shape}")
        if b.shape != w.shape[:1] or b.dtype != w.dtype:
            raise ValueError(f"{path}: {i}_b: expected {w.dtype} shape ({w.shape[0]},), "
                             f"got {b.dtype} {b.shape}")
        layer = LAYER_CLASSES[name](w.shape[1], w.shape[0], rng=np.random.default_rng(0), dtype=w.dtype)
        layer.w, layer.b = w, b  # fresh arrays from the file
        layers.append(layer)
    return layers
