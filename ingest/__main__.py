import os
import sys

from ingest.cli import main
from store.db import close_all

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
