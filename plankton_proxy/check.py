"""``plankton-proxy check``: validate a paste deploy file and reach its upstream.

Every mistake found is reported on its own line, with what to do about it::

    error: pipeline "main" names "acess_log", but paste.ini has no [filter:acess_log] section
    error: [filter:auth] use = egg:plankton_proxy#nosuch: plankton_proxy has no filter
           "nosuch" (it has: access_log, healthcheck, versions)
    error: [app:forward] upstream is not set ...
    warning: filter "versions" comes after "glance_images" ...
    ok: upstream http://127.0.0.1:9393/image/v1.0 answered 401 in 0.003 s

The exit status is 0 when there is no error, 1 otherwise.
"""

import os
import sys
import time
from urllib.parse import urlsplit

#: The order our own filters must keep relative to one another, by entry
#: point name (docs/operators.rst explains each constraint).
FILTER_ORDER = ('healthcheck', 'access_log', 'versions', 'glance_errors',
                'glance_normalize', 'glance_lists', 'glance_members', 'glance_images')

DIST = 'plankton_proxy'


def pipeline_has(app, class_name, depth=64):
    """Whether a middleware of class ``class_name`` is in the chain below
    ``app`` (following the ``app``/``_app``/``application`` attribute most
    filters keep; a filter that keeps none ends the search)."""
    for _ in range(depth):
        if app is None:
            return False
        if type(app).__name__ == class_name:
            return True
        mounted = getattr(app, 'applications', None)    # Paste's urlmap
        if isinstance(mounted, list):
            return any(pipeline_has(entry[-1], class_name, depth) for entry in mounted
                       if isinstance(entry, tuple))
        app = (getattr(app, 'app', None) or getattr(app, '_app', None)
               or getattr(app, 'application', None))
    return False


def _entry_point_names(group):
    from importlib.metadata import entry_points
    return sorted(ep.name for ep in entry_points(group=group)
                  if ep.dist is not None and ep.dist.name.replace('-', '_') == DIST)


class Checker(object):

    def __init__(self, path, pipeline='main', upstream=None, timeout=5, out=None):
        self.path = os.path.abspath(path)
        self.name = pipeline
        self.upstream_arg = upstream
        self.timeout = timeout
        self.out = out or sys.stdout
        self.errors = 0
        self.warnings = 0

    def say(self, kind, message):
        if kind == 'error':
            self.errors += 1
        elif kind == 'warning':
            self.warnings += 1
        self.out.write('%s: %s\n' % (kind, message))

    # -- the file and its sections -----------------------------------------

    def _parser(self):
        from paste.deploy.loadwsgi import NicerConfigParser
        parser = NicerConfigParser(self.path, defaults={
            'here': os.path.dirname(self.path), '__file__': self.path})
        parser.optionxform = str
        with open(self.path) as stream:
            parser.read_file(stream)
        return parser

    def _section(self, parser, kinds, name):
        for kind in kinds:
            if parser.has_section('%s:%s' % (kind, name)):
                return '%s:%s' % (kind, name)
        return None

    def _context(self, object_type, name):
        from paste.deploy import loadwsgi
        return loadwsgi.loadcontext(object_type, 'config:' + self.path, name=name,
                                    global_conf=self.global_conf)

    def _describe(self, section, parser, exc):
        use = ''
        for key in ('use', 'paste.filter_factory', 'paste.app_factory',
                    'paste.filter_app_factory'):
            if parser.has_option(section, key):
                use = '%s = %s' % (key, parser.get(section, key, raw=True))
                break
        message = '%s: %s' % (exc.__class__.__name__, exc)
        if use.startswith('use = egg:%s#' % DIST) and isinstance(exc, LookupError):
            wanted = use.split('#', 1)[1].strip()
            kind = 'filter' if section.startswith('filter:') else 'app'
            group = 'paste.filter_factory' if kind == 'filter' else 'paste.app_factory'
            message = '%s has no %s "%s" (it has: %s)' % (
                DIST, kind, wanted, ', '.join(_entry_point_names(group)))
        elif isinstance(exc, ImportError):
            message = 'cannot import it (%s); is its package installed in this environment?' % exc
        return '[%s] %s: %s' % (section, use or '(no "use")', message)

    def check_sections(self, name=None):
        """-> list of (name, context or None) in pipeline order, last the app.

        For a composite (a urlmap), the pipeline it mounts that ends in an
        app of ours is the one checked; the composite itself is built later."""
        from paste.deploy import loadwsgi
        pipeline = name or self.name
        try:
            parser = self._parser()
        except OSError as exc:
            self.say('error', 'cannot read %s: %s' % (self.path, exc.strerror or exc))
            return None
        except Exception as exc:
            self.say('error', '%s is not a valid ini file: %s' % (self.path, exc))
            return None
        section = self._section(parser, ('pipeline', 'app', 'composite'), pipeline)
        if section is None:
            found = [s for s in parser.sections() if s.split(':')[0] in ('pipeline', 'app')]
            self.say('error', '%s has no [pipeline:%s] (nor [app:%s]) section; it has: %s'
                     % (self.path, pipeline, pipeline, ', '.join(found) or 'none'))
            return None
        if section.startswith('composite:') and name is None:
            mounted = [value.strip() for key, value in parser.items(section, raw=True)
                       if key.startswith('/') and parser.has_section('pipeline:' + value.strip())]
            if mounted:
                return self.check_sections(mounted[0])
        if not section.startswith('pipeline:'):
            names = [(pipeline, section)]
        else:
            names = []
            raw = parser.get(section, 'pipeline', raw=True, fallback='').split()
            if not raw:
                self.say('error', '[%s] has an empty "pipeline ="' % section)
                return None
            for position, name in enumerate(raw):
                last = position == len(raw) - 1
                kinds = ('app', 'composite', 'pipeline') if last else ('filter',)
                found = self._section(parser, kinds, name)
                if found is None:
                    other = self._section(parser, ('filter', 'app', 'composite'), name)
                    if other is not None:
                        self.say('error', 'pipeline "%s" names "%s" %s, but it is [%s]: '
                                 'the last name must be an app, all others filters'
                                 % (pipeline, name, 'last' if last else 'before the end',
                                    other))
                    else:
                        self.say('error', 'pipeline "%s" names "%s", but %s has no [%s:%s] '
                                 'section' % (pipeline, name, os.path.basename(self.path),
                                              kinds[0], name))
                names.append((name, found))
        self.global_conf = {}
        if self.upstream_arg:
            self.global_conf['upstream'] = self.upstream_arg
        contexts = []
        for position, (name, found) in enumerate(names):
            if found is None:
                contexts.append((name, None))
                continue
            object_type = loadwsgi.FILTER if found.startswith('filter:') else loadwsgi.APP
            try:
                contexts.append((name, self._context(object_type, name)))
            except Exception as exc:
                self.say('error', self._describe(found, parser, exc))
                contexts.append((name, None))
        return contexts

    # -- what the contexts say ----------------------------------------------

    def check_order(self, contexts):
        ours = []
        for name, ctx in contexts:
            ep = getattr(ctx, 'entry_point_name', None) if ctx is not None else None
            dist = getattr(getattr(ctx, 'distribution', None), 'name', '') or ''
            if ep in FILTER_ORDER and dist.replace('-', '_') == DIST:
                ours.append((FILTER_ORDER.index(ep), ep, name))
        for (rank_a, ep_a, name_a), (rank_b, ep_b, name_b) in zip(ours, ours[1:]):
            if rank_b < rank_a:
                self.say('warning', 'filter "%s" (%s) comes after "%s" (%s); keep the order %s '
                         '(see docs/operators.rst, "Filter order")'
                         % (name_b, ep_b, name_a, ep_a, ' '.join(FILTER_ORDER)))

    def upstream(self, contexts):
        """The forward app's upstream URL, checked; None when unusable."""
        if not contexts or contexts[-1][1] is None:
            return None
        name, ctx = contexts[-1]
        if getattr(ctx, 'entry_point_name', None) != 'forward':
            self.say('warning', 'the pipeline ends in "%s", not plankton_proxy\'s forward app: '
                     'upstream not checked' % name)
            return None
        conf = dict(ctx.global_conf)
        conf.update(ctx.local_conf)
        url = (conf.get('upstream') or '').strip()
        if not url:
            self.say('error', '[app:%s] upstream is not set: set "upstream = https://.../image/'
                     'v1.0" in [DEFAULT] or [app:%s] (gunicorn: or --paste-global '
                     'upstream=URL), or check with --upstream URL as plankton-proxy serve '
                     '--upstream passes it (serve without --upstream starts the embedded '
                     'backend and sets it itself)' % (name, name))
            return None
        parts = urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            self.say('error', '[app:%s] upstream = %s is not an http:// or https:// URL with a '
                     'host' % (name, url))
            return None
        try:
            parts.port
        except ValueError:
            self.say('error', '[app:%s] upstream = %s has a bad port' % (name, url))
            return None
        if parts.query or parts.fragment:
            self.say('error', '[app:%s] upstream = %s: a base URL takes no ?query or #fragment'
                     % (name, url))
            return None
        if not parts.path.rstrip('/'):
            self.say('warning', 'upstream %s has no path; Plankton usually lives under '
                     '/image/v1.0 (or /plankton on Synnefo 0.13)' % url)
        ca_file = (conf.get('ca_file') or '').strip()
        if ca_file and not os.path.isfile(ca_file):
            self.say('error', '[app:%s] ca_file = %s: no such file' % (name, ca_file))
        return url, conf

    def build(self):
        from paste.deploy import loadapp
        try:
            return loadapp('config:' + self.path, name=self.name,
                           global_conf=dict(self.global_conf))
        except Exception as exc:
            self.say('error', 'building the pipeline failed: %s: %s'
                     % (exc.__class__.__name__, exc))
            return None

    def reach(self, url, conf):
        import urllib3
        tls = {}
        if url.startswith('https:'):
            verify = str(conf.get('verify_tls', 'true')).strip().lower() in (
                '1', 'true', 'yes', 'on')
            tls['cert_reqs'] = 'CERT_REQUIRED' if verify else 'CERT_NONE'
            if (conf.get('ca_file') or '').strip():
                tls['ca_certs'] = conf['ca_file'].strip()
        http = urllib3.PoolManager(**tls)
        started = time.monotonic()
        try:
            resp = http.request('GET', url, retries=False, redirect=False,
                                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, 'reason', None) or exc
            self.say('error', 'upstream %s does not answer: %s: %s'
                     % (url, reason.__class__.__name__, reason))
            return
        seconds = time.monotonic() - started
        if resp.status >= 500:
            self.say('error', 'upstream %s answered %d %s in %.3f s: the registry is in trouble'
                     % (url, resp.status, resp.reason, seconds))
        else:
            self.say('ok', 'upstream %s answered %d %s in %.3f s'
                     % (url, resp.status, resp.reason, seconds))

    def run(self):
        contexts = self.check_sections()
        if contexts is None:
            return self.finish()
        self.check_order(contexts)
        upstream = self.upstream(contexts)
        if self.errors:
            return self.finish()
        app = self.build()
        if app is None:
            return self.finish()
        self.say('ok', 'pipeline "%s" of %s loads: %s' % (
            self.name, self.path, ' '.join(name for name, _ in contexts)))
        if upstream is not None:
            self.reach(*upstream)
        return self.finish()

    def finish(self):
        self.out.write('%s: %d error(s), %d warning(s)\n'
                       % (self.path, self.errors, self.warnings))
        self.out.flush()
        return 1 if self.errors else 0


def run_check(path, pipeline='main', upstream=None, timeout=5):
    return Checker(path, pipeline, upstream, timeout).run()
