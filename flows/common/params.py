"""Limits of parameters, said once, as types.

A flow parameter annotated with one of these is checked by Prefect before the run
starts, by the server when a run is created with `prefect deployment run --param`,
and by the UI's run form, which reads the limits from the deployment's schema; the
error names the parameter. Plain settings objects use the same types through
pydantic, so a limit is never written twice in two styles.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationError

from flows.common.errors import ConfigError

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(ge=1)]
Percent = Annotated[float, Field(gt=0, le=100)]
Share = Annotated[float, Field(gt=0, le=1)]


class ParameterError(ConfigError):
    """A rule between parameters that no single type can say was broken."""


def require(ok: bool, message: str) -> None:
    """Raise `ParameterError(message)` unless `ok`; the message names the parameters."""
    if not ok:
        raise ParameterError(message)


def problems(exc: ValidationError, whole: str = "value", most: int | None = None) -> str:
    """A pydantic error as one line a user reads: each field's dotted path and what is
    wrong with it (`whole` names an error about the whole object), at most `most`."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or whole}: {e['msg']}"
        for e in exc.errors(include_url=False)[:most]
    )
