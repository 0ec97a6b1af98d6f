import os
import sys

from store.cli import main
from store.db import close_all

try:
    status = main(sys.argv[1:])
    sys.stdout.flush()
except BrokenPipeError:  # the reader of our output went away (`… | head`): not an error of ours
    status = 0
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
close_all()  # DuckDB checkpoints each file on close
sys.stderr.flush()
os._exit(status)
