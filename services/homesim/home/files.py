"""Reading a home (or finance) file safely, and the error that names what is wrong in it.

:func:`read_home_file` reads at most :data:`MAX_FILE_BYTES`, parses YAML with a safe loader that
refuses documents too big or too deep before building them (:func:`check_yaml_size`), keeps
``yes``/``no``/``on``/``off`` as text, and turns every problem into a :class:`HomeFileError`
(one line per problem, at most :data:`MAX_PROBLEMS`). The models that validate what it read are
:mod:`homesim.home.model`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from homesim.echo import SHOWN, shown


#: Problems an error lists at most; the rest are counted (:func:`capped`).
MAX_PROBLEMS = 20


def more_problems(count: int) -> str:
    """The line that stands for ``count`` problems not listed."""
    return f"... and {count:,} more problem{'s' if count != 1 else ''}"


def capped(problems: list[str]) -> list[str]:
    """The first :data:`MAX_PROBLEMS` problems and a line counting the rest (a list capped
    already, ending in such a line, is kept as it is)."""
    if len(problems) <= MAX_PROBLEMS or (len(problems) == MAX_PROBLEMS + 1 and problems[-1].startswith("... and ")):
        return list(problems)
    return list(problems[:MAX_PROBLEMS]) + [more_problems(len(problems) - MAX_PROBLEMS)]


class HomeFileError(Exception):
    """A home file that can't be used. ``str()`` is the message a person reads: one line per
    problem, each naming the field path, the bad value and what is allowed; at most
    :data:`MAX_PROBLEMS` of them and a line counting the rest."""

    def __init__(self, problems: list[str], source: str = "", what: str = "home definition") -> None:
        problems = capped(problems)
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + f"invalid {what}\n" + "\n".join(f"  {p}" for p in problems))


_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"


#: Largest home or finance file read [byte]: a bigger one is refused unread.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Most values (mapping keys and values, list items, each alias counted as all it stands for)
#: a YAML document read as a home or finance file may hold.
MAX_VALUES = 50_000
#: Deepest nesting of mappings and lists such a document may have.
MAX_DEPTH = 100

#: libyaml's parser (C) where PyYAML was built with it, else PyYAML's own (Python).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTooBig(yaml.YAMLError):
    """A YAML document over :data:`MAX_VALUES` values or :data:`MAX_DEPTH` levels, aliases
    expanded; ``str()`` says which. Refused before any of it is built."""


def check_yaml_size(text: str) -> None:
    """Raise :class:`YamlTooBig` for a document that would build more than :data:`MAX_VALUES`
    values (an alias counts as every value it stands for: a "billion laughs" of nested aliases
    is refused here, before anything is expanded), nests deeper than :data:`MAX_DEPTH`, or
    holds an alias inside the value it names. One pass over the parser's events, stopped at the
    limit: linear in the text, at most ``MAX_VALUES`` events. Other YAML errors are left to
    the loader, which names their line."""
    loader = _SAFE_LOADER(text)
    written = expanded = 0
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    open_: list[tuple[str | None, int]] = []  # each open collection's anchor and the count before it
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                written += 1
                if event.anchor in sizes:
                    expanded += sizes[event.anchor]
                elif any(anchor == event.anchor for anchor, _ in open_):
                    raise YamlTooBig(f"the alias *{event.anchor} is inside the value &{event.anchor} it names: "
                                     "a value that contains itself")
            elif isinstance(event, yaml.ScalarEvent):
                written += 1
                expanded += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                written += 1
                expanded += 1
                open_.append((event.anchor, expanded - 1))
                if len(open_) > MAX_DEPTH:
                    raise YamlTooBig(f"nested more than {MAX_DEPTH} levels deep: too deep for a home or finance file")
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, before = open_.pop()
                if anchor is not None:
                    sizes[anchor] = expanded - before
            if expanded > MAX_VALUES:
                if written > MAX_VALUES:
                    raise YamlTooBig(f"holds more than {MAX_VALUES:,} values (keys, values and list items): "
                                     "too many for a home or finance file")
                raise YamlTooBig(f"its aliases (*name) expand to more than {MAX_VALUES:,} values (keys, values "
                                 "and list items): refused before they are expanded")
    except yaml.YAMLError as error:
        if isinstance(error, YamlTooBig):
            raise
        return  # a syntax error: the loader reports it with its line
    finally:
        loader.dispose()


class HomeLoader(_SAFE_LOADER):
    """YAML's safe loader, for what people write in a home file (libyaml's parser where PyYAML
    has it: a 10 MB file is parsed in C).

    - A date or time that does not exist (``start: 2026-02-30``, ``2026-13-01``) stays the text
      it was written as, so the field's validation names it (PyYAML raises ``ValueError``).
    - A mapping key that YAML 1.1 reads as a boolean (``on``, ``off``, ``yes``, ``no``, ``true``,
      ``false``, any case; PyYAML reads ``y``/``n`` as text already) stays its text:
      ``lights: {on: [...]}`` has the field ``on``. As values they still mean booleans
      (``enabled: yes``). A key of another type (``1: x``) is left to validation, which names it.
    - A scalar with an explicit tag it can't be (``!!int abc``) is a YAML error, not a crash.

    What ``yaml.safe_dump`` writes reads back the same (it quotes strings that look like
    booleans or dates). :func:`parse_yaml` refuses documents too big to build first
    (:func:`check_yaml_size`).
    """

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError, AttributeError, TypeError):  # AttributeError: `!!timestamp x`
            return str(node.value)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)  # merge keys (``<<: *base``) first: their keys too
            node.value = [(_key_as_text(key), value) for key, value in node.value]
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError, AttributeError, KeyError, IndexError) as error:  # `!!int abc`, `!!bool maybe`
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.tag.rsplit(':', 1)[-1]} {shown(getattr(node, 'value', ''), SHOWN)} can't be read: {error}",
                node.start_mark) from None


HomeLoader.add_constructor("tag:yaml.org,2002:timestamp", HomeLoader.construct_yaml_timestamp)


def _key_as_text(key: yaml.Node) -> yaml.Node:
    """A plain scalar key YAML 1.1 resolved to a boolean, as the text it was written as."""
    if isinstance(key, yaml.ScalarNode) and key.tag == _BOOL_TAG and not key.style:  # plain: None, or '' (libyaml)
        return yaml.ScalarNode(_STR_TAG, key.value, key.start_mark, key.end_mark, key.style)
    return key


def parse_yaml(text: str) -> Any:
    """Plain data of YAML text as a home file is read (see :class:`HomeLoader`), once
    :func:`check_yaml_size` found it small enough to build. Raises ``yaml.YAMLError``
    (:class:`YamlTooBig` among them; and ``RecursionError`` for absurd nesting), nothing else."""
    check_yaml_size(text)
    return yaml.load(text, Loader=HomeLoader)  # noqa: S506 - HomeLoader is a SafeLoader


def read_home_file(path: str | Path) -> Any:
    """The plain data of a home file (YAML). Raises :class:`HomeFileError`."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # no more than that is read, whatever the file's size
        if len(raw) > MAX_FILE_BYTES:
            raise HomeFileError([f"larger than {MAX_FILE_BYTES // 2**20} MB: too big for a home or finance file"],
                                str(path))
        text = raw.decode("utf-8")
    except OSError as error:
        raise HomeFileError([f"can't read the file: {error.strerror or error}"], str(path)) from None
    except UnicodeDecodeError as error:
        raise HomeFileError([f"not a text file: byte {error.start} is not UTF-8"], str(path)) from None
    try:
        return parse_yaml(text)
    except YamlTooBig as error:
        raise HomeFileError([str(error)], str(path)) from None
    except RecursionError:
        raise HomeFileError(["nested too deeply to be a home file"], str(path)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise HomeFileError([f"{where}not valid YAML: {problem}"], str(path)) from None
