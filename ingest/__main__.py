import os
import sys

from ingest.cli import main
from store.db import close_all

status = main(sys.argv[1:])
# Close the database (DuckDB checkpoints on close), flush, then leave without the interpreter's
# teardown: freeing a million-row frame object by object costs a tenth of a second, and the
# operating system reclaims the memory anyway.
close_all()
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)
