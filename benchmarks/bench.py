"""How fast is one epoch? The lecture's loop, mnistbook batched, and PyTorch, in one run.

``python benchmarks/bench.py`` (or ``nox -s bench``) trains the lecture's
network (784 -> 100 -> 10, sigmoid layers, squared error summed over the batch,
U[-0.5, 0.5) weights) for one epoch of minibatches of 50 with the same learning
rate, four ways:

1. the lecture's loop: ``mnistbook.Layer`` fed one sample at a time (float64);
2. ``mnistbook.sgd`` on whole minibatches, float64;
3. the same, float32;
4. PyTorch on the CPU, float32, same start weights and sample order (if installed).

All four start from the same weights and see the samples in the same order,
so they end at the same network up to rounding. Two floors put the times in
scale: the epoch's matrix products alone at their own shapes
(:func:`mnistbook.speed.products_seconds`), and the "ideal" time of its FLOPs
at the rate of a large 2048 x 2048 float32 product.

This harness is not part of the library: the pieces the "Making it fast"
chapter explains are in :mod:`mnistbook.speed`.
"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from mnistbook import accuracy, load_dataset, one_hot, sgd
from mnistbook.speed import (blas_threads, epoch_flops, make_network, matmul_gflops,
                             per_sample_epoch, seconds, time_split)

TARGETS = {  # ratios measured in one run, float32 batched = row (3)
    "speedup": 20.0,      # (3) at least 20 times faster than (1)
    "vs_torch": 0.75,     # (3) at most 0.75 x the time of (4)
    "vs_products": 2.0,   # (3) at most 2 x the time of its matrix products alone
}
MOONSHOT_VS_PRODUCTS = 1.5
TARGET_THREADS = 1  # the targets are set for one BLAS thread; other counts are only reported


def _per_sample_row(data, sizes, config, n_images):
    """Row (1): time the lecture's loop on the first ``n_images`` of the epoch's order."""
    layers, rng = make_network(sizes, config["seed"])
    order = rng.permutation(len(data.train_images))[:n_images]  # the order sgd would draw
    targets = one_hot(data.train_labels, sizes[-1])
    measured = seconds(lambda: per_sample_epoch(layers, data.train_images, targets, order,
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
    float32_row, _ = by_threads[threads]

    with blas_threads(threads):
        per_sample_row, per_sample_layers = _per_sample_row(data, sizes, config, per_sample_images)
        float64_row, float64_layers = _batched_row(data, sizes, config, np.float64, repeats)
        split = time_split(data32.train_images, data.train_labels, sizes, config, repeats)
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
    """The three targets, each with its measured ratio and whether it holds.

    ``holds`` is None where a ratio is missing (no PyTorch row) or the rows
    ran with another BLAS thread count than the targets' ``TARGET_THREADS``.

    Examples
    --------
    >>> rows = [{"seconds": 40.0}, {"seconds": 2.0}, {"seconds": 0.5}, {"seconds": None}]
    >>> split = {"products_seconds": 0.3}
    >>> [t["holds"] for t in check_targets({"rows": rows, "time_split": split})]
    [True, None, True]
    """
    loop, _, fast, torch = (row["seconds"] for row in result["rows"])
    checked = result.get("threads", {}).get("used", TARGET_THREADS) == TARGET_THREADS
    ratios = [
        ("(3) at least 20x faster than (1)", loop / fast, ">=", TARGETS["speedup"]),
        ("(3) takes at most 0.75x the time of (4)", fast / torch if torch else None, "<=",
         TARGETS["vs_torch"]),
        ("(3) at most 2x its matrix products alone", fast / result["time_split"]["products_seconds"],
         "<=", TARGETS["vs_products"]),
    ]
    return [{"target": text, "ratio": ratio, "bound": f"{op} {bound}",
             "holds": None if ratio is None or not checked else bool(ratio >= bound if op == ">=" else ratio <= bound)}
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
    lines += [f"where (3)'s time goes: its matrix products alone {split['products_seconds']:.2f} s "
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
    if result["threads"]["used"] != TARGET_THREADS:
        lines.append(f"(the targets are set for {_threads_text(TARGET_THREADS)}; "
                     f"run with --threads {TARGET_THREADS} to check them)")
    vs_products = result["rows"][2]["seconds"] / split["products_seconds"]
    lines.append(f"moonshot: (3) at most {MOONSHOT_VS_PRODUCTS}x its products alone: "
                 + ("reached" if vs_products <= MOONSHOT_VS_PRODUCTS else "not reached"))
    return "\n".join(lines)


def _int(text):
    return None if text == "None" else int(text)


def _threads_text(n):
    return "default BLAS threads" if n is None else f"{n} BLAS thread{'s' if n > 1 else ''}"


def parse_args(argv=None):
    """The command line of ``python benchmarks/bench.py``."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench.py",
        description="Time one MNIST epoch: the lecture's loop, batched float64/float32, PyTorch.")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="MNIST folder (default: $MNISTBOOK_DATA or the user cache)")
    parser.add_argument("--json", metavar="PATH", default="_build/bench.json",
                        help="where to write the results (default: %(default)s)")
    parser.add_argument("--per-sample-images", type=_positive, metavar="N",
                        help="time the per-sample loop on N images and extrapolate "
                             "(default: the whole epoch)")
    parser.add_argument("--repeats", type=_positive, default=5,
                        help="time batched epochs this often, keep the best (default: %(default)s)")
    parser.add_argument("--threads", type=_positive, nargs="+", default=[TARGET_THREADS], metavar="N",
                        help="BLAS thread counts to try, e.g. 1 2: the fastest is used for every row, "
                             "and the targets are checked only at %(default)s (default: %(default)s)")
    parser.add_argument("--matmul-size", type=_positive, default=2048, metavar="N",
                        help="size of the matrices timed for GFLOP/s (default: %(default)s)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch row")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 if a target does not hold")
    return parser.parse_args(argv)


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def main(argv=None):
    """Run, print the table, write the JSON; return 1 if ``--check`` and a target fails."""
    args = parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
