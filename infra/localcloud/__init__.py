"""The embedded local runtime: reads template.yaml and runs it on this machine, no AWS, no Docker.

`LocalCloud` starts it all; `python -m localcloud serve` is the command line for it.
"""

from .cloud import LocalCloud
from .lambdas import FunctionError
from .template import Stack, load_template

__all__ = ["FunctionError", "LocalCloud", "Stack", "load_template"]
