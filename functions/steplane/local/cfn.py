"""CloudFormation YAML and intrinsic functions, as far as the local runtime needs them.

Two pure pieces: :func:`load_yaml` turns a template (YAML or JSON) into plain data, rewriting
the short-form tags (``!Ref X``) into their long form (``{"Ref": "X"}``); :func:`resolve`
evaluates ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join`` and ``Fn::Select`` against lookup
callbacks, and the condition functions (``Fn::If``, ``Fn::Equals``, ``Fn::Not``, ``Fn::And``,
``Fn::Or``; ``AWS::NoValue`` drops what it stands for) against the template's Conditions.
The rest are refused with :class:`UnsupportedIntrinsicError` rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from steplane.errors import SteplaneError

# Short-form tags whose long form is ``{"Fn::<Name>": value}``.
_FN_TAGS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "GetAtt", "If", "ImportValue",
    "Join", "Length", "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform",
)  # fmt: skip
SUPPORTED_INTRINSICS = frozenset(
    {
        "Ref",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::Join",
        "Fn::Select",
        "Fn::If",
        "Fn::Equals",
        "Fn::Not",
        "Fn::And",
        "Fn::Or",
    }
)
_CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or")


class _NoValue:
    """``Ref: AWS::NoValue``: the property or list item it stands for is left out."""


NO_VALUE = _NoValue()

# "${Name}" or "${Name.Attr}"; "${!Literal}" is an escape that renders as "${Literal}".
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

RefLookup = Callable[[str], Any]
ConditionLookup = Callable[[str], Any]
GetAttLookup = Callable[[str, str], str]


class TemplateError(SteplaneError):
    """The template cannot be read or used by the local runtime."""


class UnsupportedIntrinsicError(TemplateError):
    """The template uses an intrinsic function the local runtime does not evaluate."""

    def __init__(self, intrinsic: str) -> None:
        supported = ", ".join(sorted(SUPPORTED_INTRINSICS))
        super().__init__(
            f"intrinsic function {intrinsic!r} is not supported by the local runtime "
            f"(supported: {supported})"
        )
        self.intrinsic = intrinsic


class UnresolvedReferenceError(TemplateError):
    """A ``Ref`` or ``Fn::GetAtt`` names something that was not provisioned."""

    def __init__(self, logical_id: str, attribute: str | None = None) -> None:
        target = f"{logical_id}.{attribute}" if attribute else logical_id
        super().__init__(f"cannot resolve {target!r}: no such provisioned resource or attribute")
        self.logical_id = logical_id
        self.attribute = attribute


class _TemplateLoader(yaml.SafeLoader):
    """A SafeLoader that also understands CloudFormation's short-form tags."""


def _construct_tagged(loader: yaml.SafeLoader, node: yaml.Node, key: str) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise TemplateError(f"cannot read tag {node.tag} here")
    if key == "Fn::GetAtt" and isinstance(value, str):
        # "!GetAtt Queue.Arn" is the list form ["Queue", "Arn"]; the attribute may hold dots.
        value = value.split(".", 1)
    return {key: value}


def _register_tag(tag: str, key: str) -> None:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return _construct_tagged(loader, node, key)

    _TemplateLoader.add_constructor(f"!{tag}", construct)


_register_tag("Ref", "Ref")
_register_tag("Condition", "Condition")
for _name in _FN_TAGS:
    _register_tag(_name, f"Fn::{_name}")


def load_yaml(text: str) -> dict[str, Any]:
    """Parse a CloudFormation template written in YAML (or JSON) into plain data.

    Args:
        text: the template source.

    Returns:
        The template as a dict, short-form tags rewritten to their long form.

    Raises:
        TemplateError: the text is not YAML, or its top level is not a mapping.
    """
    try:
        data = yaml.load(text, Loader=_TemplateLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"template is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError("template top level must be a mapping")
    return data


def intrinsic_name(value: object) -> str | None:
    """Return the intrinsic's key (``"Ref"``, ``"Fn::Sub"``...) if ``value`` is one, else None."""
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::")):
            return key
    return None


def resolve(
    value: Any,
    ref: RefLookup,
    get_att: GetAttLookup,
    condition: ConditionLookup | None = None,
) -> Any:
    """Evaluate the intrinsic functions inside ``value``, recursively.

    Args:
        value: any template fragment (scalars, lists and dicts are walked).
        ref: returns what ``Ref`` of a name gives (pseudo parameters included).
        get_att: returns what ``Fn::GetAtt`` of (logical id, attribute) gives.
        condition: returns the (unresolved) definition of a named condition.

    Returns:
        The fragment with every intrinsic replaced by its value.

    Raises:
        UnsupportedIntrinsicError: an intrinsic outside :data:`SUPPORTED_INTRINSICS`.
        TemplateError: a supported intrinsic with a malformed argument.
    """

    def again(inner: Any) -> Any:
        return resolve(inner, ref, get_att, condition)

    name = intrinsic_name(value)
    if name is None:
        if isinstance(value, dict):
            resolved = {k: again(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (again(v) for v in value) if item is not NO_VALUE]
        return value
    argument = value[name]
    if name == "Ref":
        target = _expect_str(name, argument)
        return NO_VALUE if target == "AWS::NoValue" else ref(target)
    if name == "Fn::GetAtt":
        logical_id, attribute = _get_att_target(argument)
        return get_att(logical_id, attribute)
    if name == "Fn::Sub":
        return _substitute(argument, ref, get_att)
    if name == "Fn::Join":
        delimiter, items = _expect_pair(name, argument)
        parts = again(items)
        if not isinstance(parts, list):
            raise TemplateError(f"Fn::Join needs a list of values, got {parts!r}")
        return str(delimiter).join(to_str(p) for p in parts)
    if name == "Fn::Select":
        index, items = _expect_pair(name, argument)
        choices = again(items)
        return choices[int(again(index))]
    if name == "Fn::If":
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"Fn::If needs [Condition, IfTrue, IfFalse], got {argument!r}")
        holds = _holds(_expect_str(name, argument[0]), again, condition)
        return again(argument[1] if holds else argument[2])
    if name in _CONDITION_FUNCTIONS:
        return _evaluate(name, argument, again, condition)
    raise UnsupportedIntrinsicError(name)


def _holds(name: str, again: Callable[[Any], Any], condition: ConditionLookup | None) -> bool:
    if condition is None:
        raise TemplateError(f"condition {name!r} cannot be evaluated here (no Conditions)")
    return bool(again(condition(name)))


def _evaluate(
    name: str, argument: Any, again: Callable[[Any], Any], condition: ConditionLookup | None
) -> bool:
    """Fn::Equals, Fn::Not, Fn::And, Fn::Or; ``{"Condition": name}`` names another."""
    if not isinstance(argument, list):
        raise TemplateError(f"{name} needs a list, got {argument!r}")

    def truth(item: Any) -> bool:
        if isinstance(item, dict) and set(item) == {"Condition"}:
            return _holds(_expect_str("Condition", item["Condition"]), again, condition)
        return bool(again(item))

    if name == "Fn::Equals":
        if len(argument) != 2:
            raise TemplateError(f"Fn::Equals needs two values, got {argument!r}")
        left, right = (again(item) for item in argument)
        return bool(left == right)
    if name == "Fn::Not":
        return not truth(argument[0])
    if name == "Fn::And":
        return all(truth(item) for item in argument)
    return any(truth(item) for item in argument)


def get_att_target(value: object) -> tuple[str, str] | None:
    """Return (logical id, attribute) if ``value`` is an ``Fn::GetAtt``, in either form."""
    if intrinsic_name(value) != "Fn::GetAtt":
        return None
    return _get_att_target(value["Fn::GetAtt"])  # type: ignore[index]


def _get_att_target(argument: object) -> tuple[str, str]:
    if isinstance(argument, str) and "." in argument:
        logical_id, attribute = argument.split(".", 1)
        return logical_id, attribute
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and all(isinstance(part, str) for part in argument)
    ):
        return argument[0], argument[1]
    raise TemplateError(
        f"Fn::GetAtt needs [LogicalId, Attribute] or 'LogicalId.Attribute', got {argument!r}"
    )


def _substitute(argument: object, ref: RefLookup, get_att: GetAttLookup) -> str:
    if isinstance(argument, str):
        template, variables = argument, {}
    else:
        raw_template, raw_variables = _expect_pair("Fn::Sub", argument)
        if not isinstance(raw_template, str) or not isinstance(raw_variables, dict):
            raise TemplateError(f"Fn::Sub needs [String, {{Var: Value}}], got {argument!r}")
        template = raw_template
        variables = {k: to_str(resolve(v, ref, get_att)) for k, v in raw_variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return variables[name]
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return to_str(get_att(logical_id, attribute))
        return to_str(ref(name))

    return _SUB_VARIABLE.sub(replace, template)


def _expect_str(name: str, argument: object) -> str:
    if not isinstance(argument, str):
        raise TemplateError(f"{name} needs a name, got {argument!r}")
    return argument


def _expect_pair(name: str, argument: object) -> tuple[Any, Any]:
    if not isinstance(argument, list) or len(argument) != 2:
        raise TemplateError(f"{name} needs a list of two items, got {argument!r}")
    return argument[0], argument[1]


def to_str(value: object) -> str:
    """Render a resolved scalar as CloudFormation does inside strings (``true``, not ``True``).

    Raises:
        TemplateError: the value is a list or a mapping.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise TemplateError(f"expected a scalar value, got {value!r}")
