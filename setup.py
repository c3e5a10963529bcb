"""Build hook: copy the top-level data folders into the wheel as ``bot/_shipped/``.

``policy/``, ``prompts/`` and ``teams/`` live at the top of the repository so
that comms officers edit them there; a wheel must still carry them, or an
installed ``canipost`` would have no rules. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("policy", "prompts", "teams")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders directly
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            target = Path(self.build_lib) / "bot" / "_shipped" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(
                root / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )


setup(cmdclass={"build_py": BuildPyWithData})
