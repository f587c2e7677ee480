"""PNG plots of a results dict (matplotlib, Agg backend)."""

import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def latency_plot(hop, path):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, c in zip(axes, ('c1', 'c32')):
        for name, fig_ in hop['figures'].items():
            pct = fig_[c]['percentiles_ms']
            qs = sorted(pct, key=float)
            ax.plot([pct[q] for q in qs], [float(q) for q in qs], marker='.', label=name)
        ax.set_xscale('log')
        ax.set_xlabel('latency (ms, log scale)')
        ax.set_ylabel('percentile')
        ax.set_title('request mix, concurrency %s' % c[1:])
        ax.grid(True, which='both', alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def scale_plot(sc, path):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    series = {}
    for row in sc['runs']:
        series.setdefault((row['mode'], row['page_size']), []).append(
            (row['n'], row['seconds']))
    for (mode, ps), points in series.items():
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker='o',
                label='%s, page %d' % (mode, ps))
    n0, n1 = sc['sizes']
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('images listed (N)')
    ax.set_ylabel('seconds to list all')
    ax.set_title('listing N images page by page (linear = slope 1)')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_all(results, out):
    written = []
    if results.get('hop', {}).get('figures'):
        path = os.path.join(out, 'latency.png')
        latency_plot(results['hop'], path)
        written.append(path)
    if results.get('scale'):
        path = os.path.join(out, 'list_scaling.png')
        scale_plot(results['scale'], path)
        written.append(path)
    return written
