"""Lambda's size limit: a function and its layers may hold at most 250 MB unzipped.

For every function in template.yaml, what `sam build` puts in it: its code directory, the distributions its
requirements.txt names (with what they require, transitively), and each of its layers likewise (the layer's
directory and requirements.txt). Sizes are those of the distributions installed here (x86_64 wheels; Lambda's
arm64 ones differ by a few MB). tests/test_package_size.py holds every function to the limit.
"""

import os
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bench.ddblocal import TEMPLATE

LIMIT_MB = 250.0  # AWS Lambda: function code plus all layers, unzipped
MB = 2**20
SKIPPED_DIRS = {"__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class FunctionSize:
    logical_id: str
    code_mb: float  # the function's own directory
    requirements_mb: float  # what its requirements.txt installs
    layers_mb: float  # its layers' directories and what their requirements.txt install
    largest: tuple[tuple[str, float], ...]  # the biggest distributions it carries, biggest first

    @property
    def total_mb(self) -> float:
        return self.code_mb + self.requirements_mb + self.layers_mb


def directory_bytes(path: Path) -> int:
    total = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


@cache
def distribution_bytes(name: str) -> int:
    dist = metadata.distribution(name)
    return sum(os.path.getsize(p) for f in dist.files or [] if (p := dist.locate_file(f)).is_file())


def requirements(path: Path) -> list[Requirement]:
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def installed(wanted: list[Requirement]) -> set[str]:
    """The distributions pip installs for these requirements: them, their extras, and what they require."""
    found: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in wanted]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(metadata.distribution(requirement.name).metadata["Name"])
        if name in found and not extras:
            continue
        found.add(name)
        for text in metadata.requires(name) or []:
            needed = Requirement(text)
            marker = needed.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras or {""}):
                todo.append((needed, frozenset(needed.extras)))
    return found


def sizes(template: Path = TEMPLATE) -> list[FunctionSize]:
    from localcloud.template import load_template  # infra/: on the path in the venv (pip install -e .)

    result = []
    for fn in load_template(template).functions.values():
        own = installed(requirements(fn.code_dir / "requirements.txt"))
        layered = [installed(requirements(layer / "requirements.txt")) for layer in fn.layer_dirs]
        carried = [(name, distribution_bytes(name) / MB) for names in (own, *layered) for name in names]
        result.append(
            FunctionSize(
                fn.logical_id,
                code_mb=directory_bytes(fn.code_dir) / MB,
                requirements_mb=sum(distribution_bytes(n) for n in own) / MB,
                layers_mb=sum(
                    directory_bytes(layer) / MB + sum(distribution_bytes(n) for n in names) / MB
                    for layer, names in zip(fn.layer_dirs, layered, strict=True)
                ),
                largest=tuple(sorted(carried, key=lambda c: -c[1])[:3]),
            )
        )
    return sorted(result, key=lambda s: -s.total_mb)


def run() -> list[FunctionSize]:
    found = sizes()
    print(f"Package size (unzipped, function + layers; Lambda's limit {LIMIT_MB:.0f} MB)")
    print(f"{'function':<24}{'code MB':>9}{'reqs MB':>9}{'layers MB':>11}{'total MB':>10}{'of limit':>10}  largest")
    for s in found:
        largest = ", ".join(f"{name} {mb:.0f}" for name, mb in s.largest)
        print(
            f"{s.logical_id:<24}{s.code_mb:>9.1f}{s.requirements_mb:>9.1f}{s.layers_mb:>11.1f}{s.total_mb:>10.1f}"
            f"{s.total_mb / LIMIT_MB:>9.0%}  {largest}"
        )
    return found


if __name__ == "__main__":
    run()
