"""The app server of the browser tests and benchmarks: ``streamlit run`` as usual, plus a dump of every
thread's Python stack to the server log on SIGUSR1 (:func:`benchmarks.appserver.server_stacks`), so a
test that finds the server stalled can say where it stood instead of only that it timed out.

    python -m benchmarks._serve dashboard/app.py --server.port 8600 …  (the arguments of ``streamlit run``)
"""

from __future__ import annotations

import faulthandler
import signal
import sys

if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    sys.exit(cli.main(prog_name="streamlit"))
