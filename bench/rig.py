"""What the listener benchmarks (bench/syslog.py, bench/relp.py) set up
alike: the tests' helpers (tests/lib, tests/e2e) and bench/e2e.py, the
patched imhttp, certificates with a node of cluster "bench", and the median
of their rounds.
"""
import atexit
import importlib.util
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def load(name, path):
    """The Python file at path, loaded as a module called name."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def setup(builddir):
    """Point the tests' helpers at this tree and builddir (environment,
    sys.path); returns (tests/e2e/e2e.py, bench/e2e.py, the path of the
    patched imhttp.so, a new temporary certificate directory with the
    server's, client's and node bench/cp-1's, removed at exit).
    Exits if imhttp cannot be built."""
    os.environ.setdefault("TOP_SRCDIR", TOP)
    os.environ.setdefault("TOP_BUILDDIR", builddir)
    os.environ.setdefault("CORPUS", os.path.join(TOP, "tests", "corpus",
                                                 "k8s-audit"))
    sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
    sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
    import e2e
    be = load("bench_e2e", os.path.join(HERE, "e2e.py"))
    so, why = e2e.build_imhttp()
    if so is None:
        raise SystemExit("imhttp: %s" % why)
    tmp = tempfile.mkdtemp(prefix="wka-bench-certs-")
    atexit.register(shutil.rmtree, tmp, True)
    certs = e2e.make_certs(tmp, "localhost", "127.0.0.1")
    e2e.make_node_certs(certs, "bench:cp-1")
    return e2e, be, so, certs


def median(rounds):
    """The round (a dict with "eps") of the median events/s."""
    return sorted(rounds, key=lambda r: r["eps"])[len(rounds) // 2]
