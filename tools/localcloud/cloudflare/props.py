"""Between the engine's PropertyValues and plain Python values, keeping secretness per key.

The engine sends unknown values (preview) as the `UNKNOWN` sentinel string, since the plugin
asks for neither output values nor resource references; unknowns are sent back the same way.
Secretness is tracked per top-level property: a secret nested anywhere (a `secret_text`
binding) makes its whole property secret, as the SDK itself sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

Props = Mapping[str, PropertyValue]


def plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {k: plain(v) for k, v in inner.items()}
    if isinstance(inner, tuple | list):
        return [plain(v) for v in inner]
    return inner


def plain_map(props: Props) -> dict[str, Any]:
    return {k: plain(v) for k, v in props.items()}


def secret_keys(props: Props) -> set[str]:
    return {k for k, v in props.items() if v.contains_secret()}


def is_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def to_property(value: Any, secret: bool = False) -> PropertyValue:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        converted = PropertyValue(value)
    elif isinstance(value, int | float):
        converted = PropertyValue(float(value))  # the wire has one number type
    elif isinstance(value, Mapping):
        converted = PropertyValue({k: to_property(v) for k, v in value.items()})
    elif isinstance(value, list | tuple):
        converted = PropertyValue([to_property(v) for v in value])
    else:
        raise TypeError(f"cannot send a {type(value).__name__} to the engine")
    return converted.with_secret(secret)


def to_properties(values: Mapping[str, Any], secret: Iterable[str]) -> dict[str, PropertyValue]:
    """Non-null values as PropertyValues; the keys in `secret` marked secret."""
    hidden = set(secret)
    return {k: to_property(v, k in hidden) for k, v in values.items() if v is not None}


def without_nulls(value: Any) -> Any:
    """Nested nulls dropped: an omitted optional and an explicit null mean the same."""
    if isinstance(value, Mapping):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [without_nulls(v) for v in value]
    return value


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _rekeyed(value: Any, key: Callable[[str], str]) -> Any:
    if isinstance(value, Mapping):
        return {key(k): _rekeyed(v, key) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_rekeyed(v, key) for v in value]
    return value


def to_api(value: Any) -> Any:
    """Pulumi's camelCase keys, recursively, as the API's snake_case; nulls left out."""
    return _rekeyed(value, snake)


def from_api(value: Any) -> Any:
    """The API's snake_case keys, recursively, as Pulumi's camelCase; nulls left out."""
    return _rekeyed(value, camel)
