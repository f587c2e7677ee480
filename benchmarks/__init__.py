"""Benchmarks of plankton-proxy: ``python -m benchmarks.run [--quick]``.

Everything runs on 127.0.0.1 and is started by the run itself: the embedded
backend (``python -m plankton_proxy.backend``), the proxy
(``plankton-proxy serve --upstream ...``), Debian's nginx as the reference
reverse proxy and ``wrk`` as the load generator.  See ``benchmarks/run.py``.
"""
