"""Hand-built neutral views of resources, for the rule tests."""

from __future__ import annotations

from typing import Any

from stacks.guards.view import ResourceView

PROJECT = "edge-platform"


def urn(type_: str, name: str, *, stack: str = "prod", parents: tuple[str, ...] = ()) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{'$'.join([*parents, type_])}::{name}"


def view(
    type_: str,
    name: str = "r",
    props: dict[str, Any] | None = None,
    *,
    stack: str = "prod",
    protect: bool = False,
    parents: tuple[str, ...] = (),
) -> ResourceView:
    return ResourceView(
        type=type_,
        name=name,
        urn=urn(type_, name, stack=stack, parents=parents),
        props=props or {},
        protect=protect,
        stack=stack,
    )
