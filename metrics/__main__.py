import sys

from metrics.cli import main

sys.exit(main(sys.argv[1:]))
