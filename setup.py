# Kept for tools that still call setup.py (older bench versions); all metadata lives in pyproject.toml.
from setuptools import setup

setup()
