"""Where the packages are; pyproject.toml holds everything else.

`warroom/` installs as `warroom`, `screens/` as `warroom.screens` and `data/` as
`warroom.data`, each with every subpackage found under it. pyproject.toml alone
cannot find packages under a folder installed by another name, and a list kept
by hand left some out of the wheel (issue 9).
"""

from setuptools import find_packages, setup

ROOTS = {"warroom": "warroom", "warroom.screens": "screens", "warroom.data": "data"}

setup(
    package_dir=ROOTS,
    packages=[
        package
        for name, folder in ROOTS.items()
        for package in [name, *(f"{name}.{sub}" for sub in find_packages(where=folder))]
    ],
)
