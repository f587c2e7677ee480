"""plankton-proxy: standard Glance clients in front of a Synnefo Plankton registry."""

__version__ = '0.1.0'
