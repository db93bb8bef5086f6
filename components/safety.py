"""Data-safety options shared by every component that owns stateful resources."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class DataSafety:
    """How a stateful resource is guarded against deletion.

    protect: the engine refuses to delete the resource, and to replace it while the program
        keeps it protected (an update that unprotects it may replace it).
    retain_on_delete: a delete or replace drops it from state but keeps it in the cloud.
    """

    protect: bool = False
    retain_on_delete: bool = False

    def options(self, parent: pulumi.Resource, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=parent, protect=self.protect, retain_on_delete=self.retain_on_delete, **extra
        )


UNGUARDED = DataSafety()
