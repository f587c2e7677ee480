"""The embedded backend: a faithful stand-in for Synnefo's Plankton image registry, the
Pithos object store it reads and the Astakos identity service, in one WSGI app.

It is independent of the proxy: nothing here imports from the rest of
``plankton_proxy``, and the proxy only talks to it over HTTP.
"""

from .app import app_factory, make_app
from .identity import load_users

__all__ = ['make_app', 'load_users', 'app_factory']
