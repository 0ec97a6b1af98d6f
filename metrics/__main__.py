import os
import sys

# The Monte Carlo's matrix products are small: NumPy's OpenBLAS threads spin waiting for work and
# cost more than they save on a small machine (robustness at 500 organisations × 1,000 draws:
# 0.105 s on one thread against 0.375 s with them, best of 15). Set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from metrics.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
