"""paxshare: Apache Beam pipelines for privacy-filtered API/PNR exchange."""

from setuptools import setup

setup(
    name="paxshare",
    version="0.1.0",
    description="Privacy-filtered Advance Passenger Information and PNR exchange on Apache Beam",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=[
        "pipelines",
        "pipelines.avro_schemas",
        "pipelines.default_rules",
        "pipelines.io",
        "pipelines.io.edifact",
        "pipelines.validation",
        "pipelines.screening",
        "pipelines.screening.normalise",
        "pipelines.screening.engine",
        "pipelines.screening.engine.compiled",
        "pipelines.screening.lists",
        "pipelines.sharing",
        "pipelines.flags",
        "pipelines.withdrawals",
        "pipelines.review",
        "pipelines.generate",
    ],
    # The top-level schemas/ and rules/ folders are the source of truth; they ship inside the
    # package so that workers on a cluster find them without a local path.
    package_dir={
        "pipelines.avro_schemas": "schemas",
        "pipelines.default_rules": "rules",
    },
    package_data={
        "pipelines.avro_schemas": ["*.avsc", "history/*.avsc"],
        "pipelines.default_rules": ["*.yaml", "*.yml", "*.json", "*.md"],
        "pipelines.generate": ["data/*"],
        "pipelines.screening": ["data/*.yaml", "data/*.csv", "data/*.txt", "data/*.json"],
        "pipelines.review": ["templates/*", "static/*", "translations/*/LC_MESSAGES/*"],
        "pipelines.validation": ["data/*"],
    },
    install_requires=[
        # Beam with its DataFrame extra pins pandas < 3, which great-expectations would otherwise
        # pull in and which breaks Beam's DataFrame import.
        "apache-beam[dataframe]==2.77.0",
        "fastavro>=1.9",
        "pyarrow<26",
        "cryptography>=46,<51",
        "great-expectations>=1.3,<2",
        "pandas<3",
        "pyyaml>=6",
        "pycountry>=24",
        "airportsdata>=20240101",
        "unidecode>=1.3",
        "rapidfuzz>=3",
        "numba>=0.60",
        "jellyfish>=1.0",
        "anyascii>=0.3",
        "flask>=3.0",
        "sqlalchemy>=2.0",
        # The review's sign-in: OpenID Connect client (Authlib, with requests), argon2id password
        # hashes, TOTP second factor; its languages through gettext catalogs (Flask-Babel).
        "authlib>=1.3",
        "requests>=2.31",
        "argon2-cffi>=23.1",
        "pyotp>=2.9",
        "flask-babel>=4.0",
        # Kafka from the Python SDK worker (pipelines/io/kafka.py): Beam's Java KafkaIO needs an
        # expansion-service jar at exactly the SDK's version, which Maven Central does not serve.
        "confluent-kafka>=2.6,<3",
    ],
    extras_require={
        "postgres": ["psycopg[binary]>=3.1"],
        "test": ["pytest>=8", "pytest-timeout>=2", "pytest-rerunfailures>=14", "hypothesis>=6", "psutil>=5", "playwright>=1.40", "psycopg[binary]>=3.1"],
    },
    entry_points={"console_scripts": ["paxshare=pipelines.cli:main"]},
)
