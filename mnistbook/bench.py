"""How fast is one epoch? The lecture's loop, mnistbook batched, and PyTorch, in one run.

``python -m mnistbook bench`` trains the lecture's network (784 -> 100 -> 10,
sigmoid layers, squared error summed over the batch, U[-0.5, 0.5) weights) for
one epoch of minibatches of 50 with the same learning rate, four ways:

1. the lecture's loop: ``mnistbook.Layer`` fed one sample at a time (float64);
2. ``mnistbook.sgd`` on whole minibatches, float64;
3. the same, float32;
4. PyTorch on the CPU, float32, same start weights and sample order (if installed).

All four start from the same weights and see the samples in the same order,
so they end at the same network up to rounding. The matrix-multiply rate of a
large float32 product, at the same number of BLAS threads, turns the epoch's
floating-point work (:func:`epoch_flops`) into an "ideal" time.
"""
import contextlib
import platform
import time

import numpy as np

from .fetch import load_dataset
from .functions import one_hot
from .layers import Layer
from .training import accuracy, sgd

TARGETS = {  # the goals of issue 7, as ratios measured in one run
    "speedup": 20.0,         # (3) at least 20 times faster than (1)
    "vs_torch": 0.75,        # time of (3) at most 0.75 x the time of (4)
    "vs_ideal": 2.5,         # time of (3) at most 2.5 x the ideal time
}


def epoch_flops(sizes, n_samples):
    """Floating-point operations of the matrix products in one training epoch.

    A product of an ``(N, a)`` and an ``(a, b)`` matrix costs ``2 N a b``
    operations (a multiply and an add each). Per layer with ``nin * nout``
    weights, one epoch needs the forward product ``x @ w.T`` and the weight
    gradient ``g.T @ x``; every layer but the first also needs ``dx = g @ w``
    (the first layer's ``dx`` is a gradient for the images, which nobody uses).
    Element-wise work (sigmoid, biases) is comparatively tiny and not counted.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, e.g. ``(784, 100, 10)``.
    n_samples : int
        Training samples in the epoch.

    Returns
    -------
    int

    Examples
    --------
    >>> epoch_flops((784, 100, 10), 60_000) / 1e9  # GFLOP
    19.176
    """
    weights = [nin * nout for nin, nout in zip(sizes, sizes[1:])]
    return 2 * n_samples * (2 * sum(weights) + sum(weights[1:]))


def matmul_gflops(n=2048, *, repeats=3):
    """Rate of a large float32 matrix product ``(n, n) @ (n, n)``, in GFLOP/s (best of ``repeats``).

    Examples
    --------
    >>> matmul_gflops(64, repeats=1) > 0
    True
    """
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    a @ a  # warm up: first-call costs are not the rate
    best = min(_seconds(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _seconds(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


@contextlib.contextmanager
def blas_threads(n):
    """Limit NumPy's BLAS to ``n`` threads inside the ``with`` block (None: leave as is)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def make_network(sizes, seed, dtype=np.float64):
    """The lecture's sigmoid network, and the generator that made it (for the shuffling).

    Examples
    --------
    >>> net, rng = make_network((4, 3, 2), seed=0)
    >>> net
    [Layer(4, 3, dtype=float64), Layer(3, 2, dtype=float64)]
    """
    rng = np.random.default_rng(seed)
    return [Layer(nin, nout, rng=rng, dtype=dtype) for nin, nout in zip(sizes, sizes[1:])], rng


def per_sample_epoch(layers, images, targets, order, batch_size, alpha):
    """The lecture's loop: forward, loss and backward one sample at a time; update every ``batch_size``.

    Examples
    --------
    >>> net, rng = make_network((4, 3, 2), seed=0)
    >>> images, targets = rng.random((10, 4)), one_hot(rng.integers(0, 2, 10), n=2)
    >>> per_sample_epoch(net, images, targets, range(10), batch_size=5, alpha=0.1)
    >>> bool(net[0].dw.any())  # the last update cleared the gradients
    False
    """
    for count, i in enumerate(order, start=1):
        y = images[i]
        for layer in layers:
            y = layer.forward(y)
        delta = layers[-1].mse_loss(targets[i])
        for layer in reversed(layers):
            delta = layer.backward(delta)
        if count % batch_size == 0:
            for layer in layers:
                layer.update(alpha)


def products_seconds(images, w, batch_size=50):
    """Time only the first layer's two big products per minibatch, ``x @ w.T`` and ``g.T @ x``.

    The floor under a batched epoch: its arithmetic at this batch size, without
    the sigmoid, loss, checks and update around it. The images are taken in
    order, ``batch_size`` rows at a time; ``g`` is a stand-in of ones, since the
    values do not change the time.

    Parameters
    ----------
    images : ndarray, shape (N, nin)
    w : ndarray, shape (nout, nin)
        First-layer weights, in the dtype of ``images``.
    batch_size : int

    Returns
    -------
    float
        Seconds for all the minibatches of one pass over ``images``.

    Examples
    --------
    >>> products_seconds(np.ones((100, 4)), np.ones((3, 4)), batch_size=10) > 0
    True
    """
    g = np.ones((batch_size, w.shape[0]), w.dtype)
    start = time.perf_counter()
    for first in range(0, len(images), batch_size):
        x = images[first:first + batch_size]
        x @ w.T
        g[:len(x)].T @ x  # the last minibatch may be shorter
    return time.perf_counter() - start


def step_cost_seconds(images, labels, sizes, config, dtype=np.float32):
    """One ``sgd`` epoch of a network two units wide: the fixed cost of the minibatch steps.

    Same images, batch size and calls as the real epoch, but the hidden layer
    has 2 units instead of ``sizes[1]``, so there is almost no arithmetic left:
    what remains is the cost of the calls themselves (gathering the minibatch,
    checks, a few dozen small NumPy operations, ``update``), paid once per step.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> config = {"seed": 0, "batch_size": 10, "alpha": 0.1}
    >>> step_cost_seconds(rng.random((50, 6)), rng.integers(0, 3, 50), (6, 4, 3), config) > 0
    True
    """
    layers, rng = make_network((sizes[0], 2, sizes[-1]), config["seed"], dtype)
    history = sgd(layers, images, labels, batch_size=config["batch_size"], alpha=config["alpha"],
                  rng=rng, progress=False)
    return history.seconds[0]


def time_split(images, labels, sizes, config, w, repeats=2):
    """Where a batched epoch's time goes: its big products alone, and the fixed cost of its steps.

    Parameters
    ----------
    images : ndarray, shape (N, sizes[0])
        Training images, in the dtype to measure (float32 in the benchmark).
    labels : ndarray of int, shape (N,)
    sizes : sequence of int
        Layer widths of the network being explained.
    config : dict
        ``seed``, ``batch_size`` and ``alpha``, as for the epoch itself.
    w : ndarray, shape (sizes[1], sizes[0])
        First-layer weights (any values) for :func:`products_seconds`.
    repeats : int
        Each time is the best of this many runs.

    Returns
    -------
    dict
        ``products_seconds`` (:func:`products_seconds`), ``products_gflops`` (their
        rate), ``step_cost_seconds`` (:func:`step_cost_seconds`) and
        ``step_cost_sizes`` (the 2-unit network's widths).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> config = {"seed": 0, "batch_size": 10, "alpha": 0.1}
    >>> split = time_split(rng.random((50, 6)), rng.integers(0, 3, 50), (6, 4, 3), config,
    ...                    w=np.ones((4, 6)), repeats=1)
    >>> sorted(split)
    ['products_gflops', 'products_seconds', 'step_cost_seconds', 'step_cost_sizes']
    """
    products = min(products_seconds(images, w, config["batch_size"]) for _ in range(repeats))
    steps = min(step_cost_seconds(images, labels, sizes, config, images.dtype) for _ in range(repeats))
    return {"products_seconds": products,
            "products_gflops": 2 * 2 * len(images) * sizes[0] * sizes[1] / products / 1e9,
            "step_cost_seconds": steps, "step_cost_sizes": [sizes[0], 2, sizes[-1]]}


def _per_sample_row(data, sizes, config, n_images):
    """Row (1): time the lecture's loop on the first ``n_images`` of the epoch's order."""
    layers, rng = make_network(sizes, config["seed"])
    order = rng.permutation(len(data.train_images))[:n_images]  # the order sgd would draw
    targets = one_hot(data.train_labels, sizes[-1])
    measured = _seconds(lambda: per_sample_epoch(layers, data.train_images, targets, order,
                                                 config["batch_size"], config["alpha"]))
    full = n_images == len(data.train_images)
    row = {"name": "(1) per-sample loop, float64", "dtype": "float64", "images_timed": n_images,
           "measured_seconds": measured, "seconds": measured * len(data.train_images) / n_images,
           "extrapolated": not full,
           "test_accuracy": accuracy(layers, data.test_images, data.test_labels) if full else None}
    if not full:
        row["note"] = (f"timed on {n_images:,} of {len(data.train_images):,} images "
                       f"and extrapolated; accuracy not measured")
    return row, layers


def _batched_row(data, sizes, config, dtype, repeats, give_up_after=np.inf):
    """Rows (2), (3): ``sgd`` for one epoch; its own epoch time, best of ``repeats`` runs.

    A run slower than ``give_up_after`` seconds is not repeated (a losing thread count).
    """
    images = data.train_images.astype(dtype, copy=False)
    best, layers = np.inf, None
    for _ in range(repeats):
        layers, rng = make_network(sizes, config["seed"], dtype)
        history = sgd(layers, images, data.train_labels, epochs=1, batch_size=config["batch_size"],
                      alpha=config["alpha"], rng=rng, progress=False)
        best = min(best, history.seconds[0])
        if best > give_up_after:
            break
    name = f"({2 if dtype == np.float64 else 3}) mnistbook batched, {np.dtype(dtype)}"
    test_images = data.test_images.astype(dtype, copy=False)
    return {"name": name, "dtype": str(np.dtype(dtype)), "seconds": best, "repeats": repeats,
            "test_accuracy": accuracy(layers, test_images, data.test_labels)}, layers


def _skipped_torch_row(note):
    return {"name": "(4) PyTorch CPU, float32", "seconds": None, "test_accuracy": None,
            "note": note}


def _torch_row(data, sizes, config, threads, repeats):
    """Row (4): the same network, start, order and step in PyTorch (float32)."""
    try:
        import torch
    except ImportError:
        return _skipped_torch_row("skipped: torch is not installed (pip install torch)")
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        images = torch.from_numpy(data.train_images.astype(np.float32, copy=False))
        targets = torch.from_numpy(one_hot(data.train_labels, sizes[-1], dtype=np.float32))
        best = np.inf
        for _ in range(repeats):
            start_layers, rng = make_network(sizes, config["seed"], np.float32)
            order = torch.from_numpy(rng.permutation(len(images)))
            model = _torch_model(torch, start_layers)
            optimizer = torch.optim.SGD(model.parameters(), lr=config["alpha"])
            start = time.perf_counter()
            for first in range(0, len(order), config["batch_size"]):
                batch = order[first:first + config["batch_size"]]
                loss = torch.nn.functional.mse_loss(model(images[batch]), targets[batch],
                                                    reduction="sum")  # summed, as mse_loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            best = min(best, time.perf_counter() - start)
        with torch.no_grad():
            outputs = model(torch.from_numpy(data.test_images.astype(np.float32, copy=False))).numpy()
    finally:
        torch.set_num_threads(old_threads)
    return {"name": f"(4) PyTorch {torch.__version__.split('+')[0]} CPU, float32",
            "dtype": "float32", "seconds": best, "repeats": repeats,
            "test_accuracy": float(np.mean(outputs.argmax(axis=1) == data.test_labels))}


def _torch_model(torch, layers):
    """``nn.Sequential`` of Linear + Sigmoid pairs holding copies of the layers' weights."""
    modules = []
    for layer in layers:
        linear = torch.nn.Linear(layer.nin, layer.nout)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.w))
            linear.bias.copy_(torch.from_numpy(layer.b))
        modules += [linear, torch.nn.Sigmoid()]
    return torch.nn.Sequential(*modules)


def run_benchmark(data, *, sizes=(784, 100, 10), batch_size=50, alpha=0.01, seed=0,
                  per_sample_images=None, repeats=5, thread_counts=(1, 2), use_torch=True,
                  matmul_size=2048):
    """Measure the four ways of training one epoch; return the results as a dict.

    Parameters
    ----------
    data : MNIST
        ``(train_images, train_labels, test_images, test_labels)``, images float (N, nin).
    sizes : sequence of int
        Layer widths; ``sizes[0]`` must be the image width.
    batch_size, alpha, seed
        Minibatch size, learning rate, seed of the start weights and sample order.
    per_sample_images : int, optional
        Time the per-sample loop on this many images and extrapolate (default: the whole epoch).
    repeats : int
        Batched and PyTorch epochs are timed this many times; the best counts.
    thread_counts : sequence of int or None
        BLAS thread counts to try for float32; the fastest is used for every row
        (PyTorch included). ``(None,)`` keeps the default.
    use_torch : bool
        False skips row (4).
    matmul_size : int
        Size of the square matrices whose product measures the GFLOP/s rate.

    Returns
    -------
    dict
        ``config``, ``machine``, ``threads``, ``matmul_gflops``, ``flops``,
        ``ideal_seconds``, ``rows`` (one dict per way: ``name``, ``seconds``,
        ``test_accuracy``, ...), ``time_split`` (:func:`time_split` of the
        float32 epoch), ``max_weight_difference`` (rows 1 and 2, if (1) ran the
        whole epoch) and ``targets``.
    """
    sizes = tuple(sizes)
    config = {"sizes": sizes, "activation": "sigmoid", "loss": "squared error, summed over the batch",
              "init": "uniform [-0.5, 0.5)", "n_train": len(data.train_images),
              "n_test": len(data.test_images), "batch_size": batch_size, "alpha": alpha, "seed": seed}
    n_train = len(data.train_images)
    per_sample_images = min(per_sample_images or n_train, n_train)

    # the float32 rows share one copy of the images in float32
    data32 = data._replace(train_images=data.train_images.astype(np.float32),
                           test_images=data.test_images.astype(np.float32))

    # float32 with each thread count: the fastest decides the threads for every row
    by_threads, rates = {}, {}
    for threads in thread_counts:
        fastest = min((row["seconds"] for row, _ in by_threads.values()), default=np.inf)
        with blas_threads(threads):
            rates[threads] = matmul_gflops(matmul_size)
            by_threads[threads] = _batched_row(data32, sizes, config, np.float32, repeats,
                                               give_up_after=2 * fastest)
    threads = min(by_threads, key=lambda n: by_threads[n][0]["seconds"])
    float32_row, float32_layers = by_threads[threads]

    with blas_threads(threads):
        per_sample_row, per_sample_layers = _per_sample_row(data, sizes, config, per_sample_images)
        float64_row, float64_layers = _batched_row(data, sizes, config, np.float64, repeats)
        split = time_split(data32.train_images, data.train_labels, sizes, config,
                           float32_layers[0].w, repeats)
        rates[threads] = max(rates[threads], matmul_gflops(matmul_size))  # best of before and after
    rows = [per_sample_row, float64_row, float32_row]
    if use_torch:
        rows.append(_torch_row(data32, sizes, config, threads, repeats))
    else:
        rows.append(_skipped_torch_row("skipped (--no-torch)"))

    flops = epoch_flops(sizes, n_train)
    result = {
        "config": config, "machine": _machine(),
        "threads": {"used": threads, "float32_seconds": {str(n): r[0]["seconds"] for n, r in by_threads.items()}},
        "matmul_gflops": {"used": rates[threads], "by_threads": {str(n): r for n, r in rates.items()},
                          "size": matmul_size},
        "flops": flops, "ideal_seconds": flops / (rates[threads] * 1e9), "rows": rows,
        "time_split": split,
        "max_weight_difference": None,
    }
    if not per_sample_row["extrapolated"]:  # same start, same order: same weights up to rounding
        result["max_weight_difference"] = max(
            float(np.max(np.abs(a.w - b.w))) for a, b in zip(per_sample_layers, float64_layers))
    result["targets"] = check_targets(result)
    return result


def check_targets(result):
    """The three targets of issue 7, each with its measured ratio and whether it holds.

    Examples
    --------
    >>> rows = [{"seconds": 40.0}, {"seconds": 2.0}, {"seconds": 0.5}, {"seconds": None}]
    >>> [t["holds"] for t in check_targets({"rows": rows, "ideal_seconds": 0.25})]
    [True, None, True]
    """
    loop, _, fast, torch = (row["seconds"] for row in result["rows"])
    ratios = [
        ("(3) at least 20x faster than (1)", loop / fast, ">=", TARGETS["speedup"]),
        ("(3) takes at most 0.75x the time of (4)", fast / torch if torch else None, "<=",
         TARGETS["vs_torch"]),
        ("(3) within 2.5x of the ideal time", fast / result["ideal_seconds"], "<=", TARGETS["vs_ideal"]),
    ]
    return [{"target": text, "ratio": ratio, "bound": f"{op} {bound}",
             "holds": None if ratio is None else bool(ratio >= bound if op == ">=" else ratio <= bound)}
            for text, ratio, op, bound in ratios]


def _machine():
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "processor": platform.processor() or platform.machine()}
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [f"{pool['internal_api']} {pool['version']}" for pool in threadpool_info()
                        if pool["user_api"] == "blas"]
    except ImportError:
        pass
    return info


def format_table(result):
    """The results as lines of text: the table, the scale and the targets."""
    config, loop_seconds = result["config"], result["rows"][0]["seconds"]
    threads = result["threads"]["used"]
    lines = [f"One epoch of {'-'.join(map(str, config['sizes']))} ({config['activation']}, "
             f"{config['loss']}), {config['n_train']:,} images, batch {config['batch_size']}, "
             f"alpha {config['alpha']}, {_threads_text(threads)}",
             "",
             f"{'':34}{'seconds':>9}{'vs (1)':>9}{'test acc':>10}"]
    for row in result["rows"]:
        if row["seconds"] is None:
            lines.append(f"{row['name']:34}{'-':>9}{'-':>9}{'-':>10}   {row.get('note', '')}")
            continue
        accuracy_text = "-" if row["test_accuracy"] is None else f"{row['test_accuracy']:.2%}"
        mark = "*" if row.get("extrapolated") else ""
        lines.append(f"{row['name']:34}{row['seconds']:>8.2f}{mark:1}"
                     f"{loop_seconds / row['seconds']:>8.1f}x{accuracy_text:>10}")
    lines.append(f"{'ideal (FLOPs / matmul rate)':34}{result['ideal_seconds']:>8.2f} "
                 f"{loop_seconds / result['ideal_seconds']:>8.1f}x")
    for row in result["rows"]:
        if row.get("extrapolated"):
            lines.append(f"* {row['note']}")
    rates = result["matmul_gflops"]
    lines += ["",
              f"float32 matmul ({rates['size']}x{rates['size']}): "
              + ", ".join(f"{rate:.1f} GFLOP/s with {_threads_text(_int(n))}"
                          for n, rate in rates["by_threads"].items()),
              f"epoch: {result['flops'] / 1e9:.2f} GFLOP in matrix products -> ideal "
              f"{result['ideal_seconds']:.3f} s at {rates['used']:.1f} GFLOP/s",
              "float32 epoch by BLAS threads: "
              + ", ".join(f"{_threads_text(_int(n))} {s:.2f} s"
                          for n, s in result["threads"]["float32_seconds"].items())
              + f" -> using {_threads_text(threads)} for every row (PyTorch too)"]
    split, ideal = result["time_split"], result["ideal_seconds"]
    lines += [f"where (3)'s time goes: the first layer's two products alone {split['products_seconds']:.2f} s "
              f"({split['products_seconds'] / ideal:.1f}x ideal, {split['products_gflops']:.1f} GFLOP/s "
              f"at batch {config['batch_size']});",
              f"  the same epoch with a {'-'.join(map(str, split['step_cost_sizes']))} network "
              f"(the calls of every step, almost no arithmetic) {split['step_cost_seconds']:.2f} s "
              f"({split['step_cost_seconds'] / ideal:.1f}x ideal)"]
    if result["max_weight_difference"] is not None:
        lines.append(f"weights after (1) and (2) differ by at most {result['max_weight_difference']:.1e}")
    lines.append("")
    for target in result["targets"]:
        ratio = "not measured" if target["ratio"] is None else f"{target['ratio']:.2f}"
        verdict = {True: "holds", False: "FAILS", None: "not checked"}[target["holds"]]
        lines.append(f"target {target['target']:42} ratio {ratio:>12} ({target['bound']}): {verdict}")
    return "\n".join(lines)


def _int(text):
    return None if text == "None" else int(text)


def _threads_text(n):
    return "default BLAS threads" if n is None else f"{n} BLAS thread{'s' if n > 1 else ''}"


def main(args):
    """``python -m mnistbook bench``: run, print the table, write the JSON; 1 if ``--check`` fails."""
    import json
    from pathlib import Path

    data = load_dataset(args.data_dir)
    try:
        import threadpoolctl  # noqa: F401  (needed to choose the BLAS threads)
        thread_counts = args.threads
    except ImportError:
        print("threadpoolctl is not installed: using the default BLAS threads")
        thread_counts = (None,)
    result = run_benchmark(data, per_sample_images=args.per_sample_images, repeats=args.repeats,
                           thread_counts=thread_counts, use_torch=not args.no_torch,
                           matmul_size=args.matmul_size)
    print(format_table(result))
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {path}")
    failed = any(target["holds"] is False for target in result["targets"])
    return 1 if args.check and failed else 0
