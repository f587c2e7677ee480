"""The results as reStructuredText tables (printed, and pasted into README.rst)."""


def simple_table(header, rows):
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    rule = '  '.join('=' * w for w in widths)

    def line(row):
        return '  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
    return '\n'.join([rule, line(cells[0]), rule] + [line(r) for r in cells[1:]] + [rule])


def _f(value, digits=2):
    if value is None:
        return '-'
    return '%.*f' % (digits, value)


def _met(flag):
    return 'met' if flag else 'MISSED'


def table(results):
    out = []
    m = results.get('machine', {})
    out.append('%s, %s (%s CPUs, %s MiB), commit %s%s, load generator %s%s' % (
        results.get('date'), m.get('cpu_model', '?'), m.get('nproc'), m.get('memory_mib'),
        (results.get('git', {}).get('commit') or '?')[:10],
        ' (+ local changes)' if results.get('git', {}).get('dirty') else '',
        results.get('load_generator'),
        ', %s run' % results.get('level', 'quick').upper() if results.get('quick') else ''))
    out.append('Pipeline: %s. Command: ``%s``.' % (' '.join(results.get('pipeline', [])),
                                                   results.get('command')))
    targets = []
    hop = results.get('hop')
    if hop and hop.get('figures'):
        out.append('')
        out.append('Hop cost (request mix: %s; %d s x %d rounds per point, medians):' % (
            ', '.join(hop['request_mix']), hop['duration_s'], hop['rounds']))
        out.append('')
        rows = []
        for name, fig in hop['figures'].items():
            rows.append([name] + [x for c in ('c1', 'c32') for x in (
                _f(fig[c]['p50_ms']), _f(fig[c]['p99_ms']), '%.0f' % fig[c]['rps'])])
        out.append(simple_table(['target', 'c=1 p50 ms', 'c=1 p99 ms', 'c=1 req/s',
                                 'c=32 p50 ms', 'c=32 p99 ms', 'c=32 req/s'], rows))
        for name, why in hop.get('skipped', {}).items():
            out.append('(%s skipped: %s)' % (name, why))
        r = hop['ratios']
        out.append('')
        rows = []
        for c, label in (('c1', 'c=1'), ('c32', 'c=32')):
            rows.append([label, _f(r.get('proxy added p50 ms ' + c)),
                         _f(r.get('proxy added p99 ms ' + c)),
                         _f(r.get('proxy/direct p50 ' + c)),
                         _f(r.get('proxy/direct rps ' + c)),
                         _f(r.get('proxy/nginx p50 ' + c)),
                         _f(r.get('proxy/nginx rps ' + c)),
                         _f(r.get('nginx added p50 ms ' + c)),
                         _f(r.get('forward-only added p50 ms ' + c)),
                         _f(r.get('requests-forwarder added p50 ms ' + c))])
        out.append(simple_table(['', 'proxy +p50 ms', 'proxy +p99 ms', 'p50 proxy/direct',
                                 'req/s proxy/direct', 'p50 proxy/nginx',
                                 'req/s proxy/nginx', 'nginx +p50 ms',
                                 'fwd-only +p50 ms', 'requests fwd +p50 ms'], rows))
        out.append('')
        out.append('CPU per request (ms, from /proc; front = the proxy or nginx; '
                   'loadgen = wrk), machine busy share (in brackets: busy with '
                   'processes not ours):')
        out.append('')
        rows = []
        for name, fig in hop['figures'].items():
            row = [name]
            for c in ('c1', 'c32'):
                cpu = fig[c].get('cpu_ms_per_request', {})
                row += [_f(cpu.get('backend'), 3), _f(cpu.get('front'), 3),
                        _f(cpu.get('loadgen'), 3), '%.0f%% (%.0f%%)' % (
                            fig[c].get('machine_busy_pct', 0),
                            fig[c].get('other_busy_pct', 0))]
            rows.append(row)
        out.append(simple_table(['target', 'c=1 backend', 'c=1 front', 'c=1 loadgen',
                                 'c=1 busy', 'c=32 backend', 'c=32 front', 'c=32 loadgen',
                                 'c=32 busy'], rows))
        per = hop.get('per_request_c1')
        if per:
            out.append('')
            out.append('Each request alone, c=1 (p50 ms):')
            out.append('')
            names = list(per)
            rows = []
            for label in hop['request_mix']:
                row = [label] + [_f(per[n][label]['p50_ms']) for n in names]
                if 'proxy' in per and 'direct' in per:
                    row.append(_f(per['proxy'][label]['p50_ms'] - per['direct'][label]['p50_ms']))
                rows.append(row)
            out.append(simple_table(['request'] + names + ['proxy added'], rows))
        targets += [(k, v) for k, v in hop.get('targets_met', {}).items()]
    tuning = results.get('tuning')
    if tuning:
        out.append('')
        out.append('Proxy options at c=32 (%d s x %d rounds, medians; direct backend: '
                   '%.0f req/s):' % (tuning['duration_s'], tuning.get('rounds', 1),
                                     tuning['direct']['rps']))
        out.append('')
        rows = [[name, '%.0f' % f['rps'], _f(f['p50_ms']), _f(f['p99_ms']),
                 _f(f['rps/defaults']), _f(f['rps/direct']),
                 _f(f.get('cpu_ms_per_request', {}).get('front'), 3)]
                for name, f in tuning['variants'].items()]
        out.append(simple_table(['serve option', 'req/s', 'p50 ms', 'p99 ms',
                                 'x defaults', 'x direct', 'proxy CPU ms/req'], rows))
    data = results.get('data')
    if data:
        out.append('')
        out.append('Forwarder data path (%d MiB object; %s):' % (
            data['bytes'] >> 20, 'raw Pithos PUT/GET, direct vs through the forward app'))
        out.append('')
        rows = [[op, '%.0f' % s['direct_mb_s'], '%.0f' % s['proxy_mb_s'],
                 _f(s['proxy/direct']), _f(s['proxy_rss_growth_mib'], 1)]
                for op, s in data['summary'].items()]
        out.append(simple_table(['', 'direct MB/s', 'proxy MB/s', 'proxy/direct',
                                 'proxy RSS growth MiB'], rows))
        product = data.get('product')
        if product:
            out.append('')
            out.append('Glance image data (%d MiB): POST /v1/images with the data and GET '
                       '/v1/images/<id> (glance_download on) through the shipped pipeline, '
                       'vs a direct Pithos PUT/GET:' % (data['bytes'] >> 20))
            out.append('')
            rows = [[op, '%.0f' % s['direct_mb_s'], '%.0f' % s['proxy_mb_s'],
                     _f(s['proxy/direct']), _f(s['proxy_rss_growth_mib'], 1)]
                    for op, s in product['summary'].items()]
            out.append(simple_table(['', 'direct MB/s', 'proxy MB/s', 'proxy/direct',
                                     'proxy RSS growth MiB'], rows))
        targets += [('data path: ' + k, v) for k, v in data['targets_met'].items()]
    sc = results.get('scale')
    if sc:
        out.append('')
        out.append('Listing all N images page by page:')
        if sc.get('note'):
            out.append('(%s)' % sc['note'])
        out.append('')
        rows = []
        for row in sc['runs']:
            est = '' if row.get('complete', True) else ' (est.)'
            rows.append([row['mode'], row['n'], row['page_size'],
                         _f(row['seconds'], 3) + est,
                         '%s%s' % (row['client_requests'], est),
                         '%s%s' % (row['upstream_requests'], est)])
        out.append(simple_table(['listing', 'N', 'page', 'seconds', 'client req',
                                 'upstream req'], rows))
        out.append('')
        if any(not row.get('complete', True) for row in sc['runs']):
            out.append('(est.: the listing was cut after %s s and its total extrapolated '
                       'from the pages done; every page costs the same there)'
                       % sc.get('budget_s'))
        out.append('Growth from N=%d to N=%d (target <= 12x): %s' % (
            sc['sizes'][0], sc['sizes'][1], '; '.join(
                '%s %.1fx' % (k, v) for k, v in sc['growth_10x'].items())))
        targets += [('list scaling: ' + k, v) for k, v in sc['targets_met'].items()]
    if targets:
        out.append('')
        out.append('Targets: ' + '; '.join('%s: %s' % (k, _met(v)) for k, v in targets))
    return '\n'.join(out)
