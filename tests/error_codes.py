"""The domain's error codes, found from the errors themselves: each edge's table of codes is checked
against them, so that a new error cannot be left out of one."""

import importlib
import pkgutil

import qa
from qa.errors import QAError


def domain_error_codes() -> set[str]:
    # Every module of the domain, so that an error defined beside the code raising it is found too.
    for module in pkgutil.walk_packages(qa.__path__, "qa."):
        if module.name != "qa.__main__":  # running it would run the command
            importlib.import_module(module.name)
    return {error.code for error in _subclasses(QAError)}


def _subclasses(error: type[QAError]) -> list[type[QAError]]:
    return [error] + [sub for direct in error.__subclasses__() for sub in _subclasses(direct)]
