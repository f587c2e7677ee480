from setuptools import find_packages, setup

setup(
    name='plankton_proxy',
    version='0.1.0',
    description='Glance v1 API in front of a Synnefo Plankton image registry',
    long_description=open('README.rst').read(),
    long_description_content_type='text/x-rst',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=['tests', 'tests.*', 'benchmarks', 'benchmarks.*']),
    include_package_data=True,
    # The deploy file and demo users, found by `plankton-proxy serve` here
    # when the project is installed rather than run from a checkout.
    data_files=[('share/plankton-proxy', ['paste.ini']),
                ('share/plankton-proxy/etc', ['etc/users.conf',
                                              'etc/paste-download.ini'])],
    install_requires=[
        'WebOb>=1.8',
        'PasteDeploy>=3.0',
        'requests>=2.28',
        'eventlet>=0.36',
    ],
    extras_require={
        'test': [
            'pytest>=8',
            'psutil>=5.9',
            # A threaded WSGI server: the suite runs the pipeline on it too,
            # so leaving eventlet stays a configuration change (decision 20).
            'gunicorn>=22',
            # The real clients our users run, driven by the tests.
            'python-glanceclient>=2.17,<2.18',
            'openstacksdk>=4,<5',
            'python-openstackclient>=7',
            'python-swiftclient>=4',
            # The bad-input suite (tests/faults/test_fuzz.py).
            'hypothesis>=6',
            # Other projects' filters the etc/ example pipelines put next to
            # ours; the suite loads and exercises every example.
            'keystonemiddleware>=10',
            'oslo.middleware>=6',
            'Paste>=3',
            # README.rst and docs/ must render (tests/ops/test_docs_render.py).
            'docutils>=0.18',
        ],
        # `python -m benchmarks.run` (benchmarks/): plots and profiles. It also
        # wants Debian's wrk and nginx (apt-get install wrk nginx) and skips
        # what is missing, with a note.
        'bench': [
            'matplotlib>=3.7',
            'py-spy>=0.3',
            'python-glanceclient>=2.17,<2.18',
        ],
    },
    entry_points={
        'console_scripts': [
            'plankton-proxy = plankton_proxy.cli:main',
        ],
        'paste.app_factory': [
            'forward = plankton_proxy.forward:app_factory',
            'backend = plankton_proxy.backend.app:app_factory',
        ],
        'paste.filter_factory': [
            'healthcheck = plankton_proxy.middleware.healthcheck:filter_factory',
            'access_log = plankton_proxy.middleware.access_log:filter_factory',
            'versions = plankton_proxy.middleware.versions:filter_factory',
            'glance_errors = plankton_proxy.middleware.glance_errors:filter_factory',
            'glance_normalize = plankton_proxy.middleware.glance_normalize:filter_factory',
            'glance_lists = plankton_proxy.middleware.glance_lists:filter_factory',
            'glance_members = plankton_proxy.middleware.glance_members:filter_factory',
            'glance_images = plankton_proxy.middleware.glance_images:filter_factory',
            'limits = plankton_proxy.middleware.limits:filter_factory',
            'glance_v2 = plankton_proxy.middleware.glance_v2:filter_factory',
            'glance_upload = plankton_proxy.middleware.glance_upload:filter_factory',
            'glance_download = plankton_proxy.middleware.glance_download:filter_factory',
        ],
        'pytest11': [
            'plankton_proxy = plankton_proxy.testing',
        ],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Framework :: Paste',
        'Topic :: Internet :: WWW/HTTP :: WSGI :: Middleware',
    ],
)
