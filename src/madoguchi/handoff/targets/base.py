"""The hand-off target interface: every kind (a file export, an HTTP API) is one subclass,
registered by its `kind` (targets/__init__.py), with a pydantic `Settings` model for what a
city's `handoff.yaml` says of one target of that kind. Services call only `deliver` and
`check_config`, so claiming, retrying, giving up and 再送 are written once in services.py.
"""

import abc
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

TargetName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
ProcedureCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
EventName = Literal["accepted", "decided"]


class TargetSettings(BaseModel):
    """What every target says: its name (stable: hand-offs are recorded under it), which
    procedures and which events it takes, and whether the 個人番号 goes with the answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: TargetName
    title: Annotated[str, Field(max_length=100)] = ""
    procedures: Annotated[list[ProcedureCode], Field(min_length=1)]
    events: Annotated[list[EventName], Field(min_length=1)]
    enabled: bool = True
    # The 個人番号 is handed off only to a system whose 事務 the 番号法 allows it for; off unless said.
    include_my_number: bool = False


class DeliveryFailed(Exception):
    """One attempt failed. `code` is shown to staff and logged: an error code, never personal
    data (no answer, no response body). `permanent`: trying again as is cannot help (a value
    the encoding cannot hold, a 4xx refusal), so the hand-off is 失敗 at once."""

    def __init__(self, code: str, permanent: bool = False):
        super().__init__(code)
        self.code = code[:200]
        self.permanent = permanent


class HandoffTarget(abc.ABC):
    kind: ClassVar[str]
    Settings: ClassVar[type[TargetSettings]]

    def __init__(self, settings: TargetSettings, municipality):
        self.settings = settings
        self.municipality = municipality

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def title(self) -> str:
        return self.settings.title or self.settings.name

    def takes(self, procedure_code: str, event: str) -> bool:
        return self.settings.enabled and procedure_code in self.settings.procedures and event in self.settings.events

    @abc.abstractmethod
    def check_config(self) -> list[str]:
        """Problems with this target's configuration, in plain words (for `madoguchi check`); []
        when fine."""

    @abc.abstractmethod
    def deliver(self, handoff, payload: dict) -> None:
        """Hand the case off once. Must be idempotent on `handoff.public_id`: delivered again
        (a retry, a worker killed after the target took it, a 再送) it leaves the target as one
        delivery did. Raises DeliveryFailed."""
