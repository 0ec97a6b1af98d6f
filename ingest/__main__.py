import gc
import os
import sys

# Nothing here multiplies matrices: without this, NumPy's OpenBLAS starts a thread per core that
# spins, waiting for work, while the modules load and the file is read.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Importing creates many objects and little garbage: no collection passes while it runs (the
# objects are then set aside from later collections).
gc.disable()

from ingest import prefetch  # noqa: E402

# The first file named on the command line is read and hashed while the modules are imported, and
# parsed while DuckDB is imported, the database opened and the framework loaded (ingest.prefetch).
if prefetch.start(sys.argv[1:]):
    from ingest.read import Limits, read_table

    prefetch.read_first_table(
        lambda data, name, limits: read_table(data, name, max_bytes=limits.max_bytes, max_rows=limits.max_rows),
        Limits(),
    )

from ingest.cli import main  # noqa: E402
from store.db import close_all  # noqa: E402

gc.freeze()
gc.enable()

try:
    status = main(sys.argv[1:])
    sys.stdout.flush()
except BrokenPipeError:  # the reader of our output went away (`… | head`): not an error of ours
    status = 0
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
# Close the database (DuckDB checkpoints on close), then leave without the interpreter's teardown:
# freeing a million-row frame object by object costs a tenth of a second, and the operating system
# reclaims the memory anyway.
close_all()
sys.stderr.flush()
os._exit(status)
