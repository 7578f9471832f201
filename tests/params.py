"""Test ids that are the same in every process: ``str()`` of a set follows the hash
seed, which differs between pytest-xdist workers, and workers must collect one list."""

from __future__ import annotations

from typing import Any


def param_id(value: Any) -> str:
    if isinstance(value, set | frozenset):
        return str(sorted(value, key=repr))
    return str(value)
