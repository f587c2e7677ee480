# gunicorn settings for plankton-proxy (a Python file, read with -c):
#
#     gunicorn -c etc/gunicorn.conf.py --paste /etc/plankton-proxy/paste.ini
#
# Command-line options override what is set here. The paste file must name
# the upstream: "upstream = ..." in it, or --paste-global upstream=URL.

# Glance clients send x-image-meta-disk_format and other header names with
# underscores; gunicorn 22 and later drop every such header unless told
# otherwise, and the image then silently gets default values.
header_map = 'dangerous'

bind = ['127.0.0.1:9292']

# Threads: the proxy waits on the upstream most of the time. Workers x
# threads is how many requests one replica serves at once; a long upload
# holds one thread for its whole duration.
worker_class = 'gthread'
workers = 2
threads = 16

# Uploads of large images take long: no worker timeout kill for a
# thread-based worker that is busy streaming (gthread only heartbeats).
timeout = 120
graceful_timeout = 60
keepalive = 75

# Our logging file: access lines come from the pipeline's access_log filter
# (gunicorn's own access log stays off unless you pass --access-logfile).
logconfig = 'etc/logging.conf'
