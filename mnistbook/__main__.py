"""Command line: ``python -m mnistbook fetch [--data-dir DIR]`` and ``python -m mnistbook bench``."""

import argparse
import sys

from .fetch import FetchError, fetch_mnist


def fetch(args):
    """Fetch the MNIST files and print the folder they are in."""
    try:
        folder = fetch_mnist(args.data_dir, progress=sys.stderr.isatty())
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(folder)
    return 0


def bench(args):
    """Time one epoch four ways; print a table and write the JSON file."""
    from .bench import main as run_bench  # imported here: fetch stays light

    return run_bench(args)


def main(argv=None):
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m mnistbook", description="Get the MNIST data, or time one training epoch.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch_parser = commands.add_parser("fetch", help="download and verify the four MNIST files")
    fetch_parser.add_argument("--data-dir", metavar="DIR",
                              help="folder for the files (default: $MNISTBOOK_DATA or the user cache)")
    fetch_parser.set_defaults(run=fetch)

    bench_parser = commands.add_parser(
        "bench", help="time one epoch: the lecture's loop, batched float64/float32, PyTorch")
    bench_parser.add_argument("--data-dir", metavar="DIR",
                              help="MNIST folder (default: $MNISTBOOK_DATA or the user cache)")
    bench_parser.add_argument("--json", metavar="PATH", default="_build/bench.json",
                              help="where to write the results (default: %(default)s)")
    bench_parser.add_argument("--per-sample-images", type=int, metavar="N",
                              help="time the per-sample loop on N images and extrapolate "
                                   "(default: the whole epoch)")
    bench_parser.add_argument("--repeats", type=int, default=5,
                              help="time batched epochs this often, keep the best (default: %(default)s)")
    bench_parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], metavar="N",
                              help="BLAS thread counts to try (default: 1 2)")
    bench_parser.add_argument("--matmul-size", type=int, default=2048, metavar="N",
                              help="size of the matrices timed for GFLOP/s (default: %(default)s)")
    bench_parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch row")
    bench_parser.add_argument("--check", action="store_true",
                              help="exit with status 1 if a target does not hold")
    bench_parser.set_defaults(run=bench)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
