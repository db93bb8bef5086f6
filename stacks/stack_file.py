"""Read a `Pulumi.<stack>.yaml` strictly: UTF-8, valid YAML, no key given twice, a `config` map.

The offline plan reads stack files with this, and so does the program under the real engine
(`stacks.program.main`), so that both refuse the same files with the same message whatever the
CLI's version: older Pulumi CLIs (YAML read with yaml.v2) keep the last of two equal keys without
a word (a pasted second `auth:` block silently replaces the first); 3.274 refuses them itself,
and reads a UTF-16 file that this module refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"


class StackFileError(Exception):
    """The stack file is missing, not UTF-8, not valid YAML, or not shaped like a stack file."""


# libyaml's C parser when PyYAML has it (the PyPI wheels do): stack files of thousands of
# workers parse in milliseconds instead of seconds.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PulumiYamlLoader(_SafeLoader):
    """Safe YAML with timestamps left as strings, as the Pulumi CLI reads stack files: an
    unquoted `compatibilityDate: 2025-09-01` is the string "2025-09-01", not a date."""


_PulumiYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> dict[str, Any]:
    """The YAML mapping in `path`, or StackFileError naming the file and line of the problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StackFileError(f"{path.name} does not exist") from None
    except OSError as err:
        raise StackFileError(f"{path.name} cannot be read: {err.strerror}") from None
    loader = _PulumiYamlLoader(_decode(path.name, raw))
    try:
        node = loader.get_single_node()
        repeated = list(_repeated_keys(node)) if node is not None else []
        if repeated:
            raise StackFileError(_repeated_message(path.name, repeated))
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        raise StackFileError(_yaml_message(path.name, err)) from None
    except yaml.YAMLError as err:
        raise StackFileError(f"{path.name} is not valid YAML: {err}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise StackFileError(
            f"{path.name} must be a YAML mapping with a `config:` key (got {describe(data)})"
        )
    return data


def read_stack_config(path: Path) -> dict[str, Any]:
    """The `config:` mapping of the stack file at `path` (empty if there is none)."""
    config = read_yaml(path).get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackFileError(
            f"{path.name}: `config` must be a mapping of config keys to values, e.g. "
            f"`edge-platform:platform: {{...}}` (got {describe(config)})"
        )
    for key in config:
        if not isinstance(key, str) or not key:
            raise StackFileError(
                f"{path.name}: config key {key!r} must be a non-empty name such as "
                "`edge-platform:platform`"
            )
    return config


def stack_file_path(project_dir: Path, stack: str) -> Path:
    """Where the Pulumi CLI keeps the stack's config: `stackConfigDir` of Pulumi.yaml, if set."""
    config_dir = project_dir
    project_file = project_dir / "Pulumi.yaml"
    if project_file.is_file():
        relative = read_yaml(project_file).get("stackConfigDir")
        if isinstance(relative, str) and relative:
            config_dir = project_dir / relative
    return config_dir / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"


def describe(value: Any) -> str:
    """A value's kind in a user's words, for "must be a mapping (got ...)" messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _decode(name: str, raw: bytes) -> str:
    if raw.startswith(UTF16_BOMS):
        raise StackFileError(
            f"{name} is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8, the "
            "encoding the Pulumi CLI writes stack files in"
        )
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        byte = raw[err.start]
        as_cp1252 = bytes([byte]).decode("cp1252", errors="replace")
        raise StackFileError(
            f"{name}:{line}: byte 0x{byte:02x} at column {column} is not UTF-8 (it reads as "
            f"{as_cp1252!r} in Windows-1252); save the file as UTF-8"
        ) from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise StackFileError(
            f"{name}:{line}: contains NUL bytes (is it UTF-16 without a byte order mark?); "
            "save it as UTF-8"
        )
    return text


def _yaml_message(name: str, err: yaml.MarkedYAMLError) -> str:
    mark = err.problem_mark or err.context_mark
    where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
    what = "; ".join(p for p in (err.context, err.problem) if p)
    return f"{where}: not valid YAML: {what}"


Repeated = tuple[str, int, int]
"""(key path, line of the first occurrence, line of the repeat), lines counted from 1."""


def _repeated_keys(node: yaml.Node) -> Iterator[Repeated]:
    seen_nodes: set[int] = set()  # aliases can make the node graph cyclic

    def walk(node: yaml.Node, path: str) -> Iterator[Repeated]:
        if id(node) in seen_nodes:
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = _key_text(key_node)
                here = _join(path, key)
                identity = (key_node.tag, key)
                line = key_node.start_mark.line + 1
                if identity in first_line:
                    yield here, first_line[identity], line
                else:
                    first_line[identity] = line
                yield from walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                yield from walk(item, f"{path}[{i}]")

    yield from walk(node, "")


def _key_text(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return f"<{node.id} key at line {node.start_mark.line + 1}>"


def _join(path: str, key: str) -> str:
    if path == "config":  # config keys are named without the `config.` they sit under
        return key
    return f"{path}.{key}" if path else key


def _repeated_message(name: str, repeated: list[Repeated]) -> str:
    count = len(repeated)
    lines = [f"{name}: {count} key{'s' if count != 1 else ''} given twice in one mapping"]
    for path, first, again in repeated:
        lines.append(
            f"  - {name}:{first} and {name}:{again}: `{path}` is given twice; YAML would keep "
            f"only the one at line {again} and drop the one at line {first} without a word: "
            "merge the two into one, or delete one"
        )
    return "\n".join(lines)
