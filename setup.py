"""Packaging detail pyproject.toml cannot say: ship the top-level ``resources/`` folder.

The assets live beside the code in the repository (``resources/``) and are installed as
``nectar_gui/_resources`` package data, where ``nectar_gui.core.assets`` finds them.
Everything else about the project is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["nectar_gui", "nectar_gui.*"]), "nectar_gui._resources"],
    package_dir={"nectar_gui._resources": "resources"},
    package_data={"nectar_gui": ["py.typed"], "nectar_gui._resources": ["**/*"]},
)
