"""The synthesized CloudFormation template as the local runtime's single source of settings.

The runtime never restates a setting of the deployed stack: it finds each resource in the template (by
type, and through the stack's Outputs for the ones the CLI needs by role), and resolves the intrinsic
functions in its properties against the *local* resources that stand in for them (:class:`Resolver`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vidpipe.local.aws import ACCOUNT_ID, REGION


class TemplateError(RuntimeError):
    """The template lacks something the local runtime needs, or uses an intrinsic it cannot resolve."""


def load_synthesized_template(context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The CDK app's synthesized template (cached by :mod:`infra.synth`; several seconds when cold).

    ``context`` holds ``vidpipe:`` context values merged over cdk.json's, as ``cdk synth -c`` would.
    """
    from infra.synth import synthesize  # imports the CDK (jsii) only when the cache misses

    return synthesize(context)


@dataclass(frozen=True)
class Resource:
    """One resource of the template."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]


@dataclass
class Template:
    """Typed access to a template's resources and outputs."""

    body: Mapping[str, Any]

    @property
    def resources(self) -> dict[str, Resource]:
        return {
            lid: Resource(lid, r["Type"], r.get("Properties", {}))
            for lid, r in self.body.get("Resources", {}).items()
        }

    def of_type(self, resource_type: str) -> list[Resource]:
        """Resources of one CloudFormation type, in template order."""
        return [r for r in self.resources.values() if r.type == resource_type]

    def one_of_type(self, resource_type: str) -> Resource:
        """The single resource of a type.

        Raises:
            TemplateError: when there is none or more than one.
        """
        found = self.of_type(resource_type)
        if len(found) != 1:
            raise TemplateError(f"expected one {resource_type} in the template, found {len(found)}")
        return found[0]

    def output_values(self) -> dict[str, Any]:
        """Raw ``Value`` of each output (still with intrinsics)."""
        return {key: out["Value"] for key, out in self.body.get("Outputs", {}).items()}

    def output_target(self, output_key: str) -> Resource:
        """The resource an output refers to (``Ref`` or ``Fn::GetAtt``): how roles are told apart.

        Raises:
            TemplateError: when the output is missing or does not reference one resource.
        """
        value = self.output_values().get(output_key)
        if value is None:
            raise TemplateError(f"the template has no output {output_key!r}")
        logical_ids = sorted(referenced_ids(value) & self.resources.keys())
        if len(logical_ids) != 1:
            raise TemplateError(f"output {output_key!r} does not reference exactly one resource: {value!r}")
        return self.resources[logical_ids[0]]


def referenced_ids(value: Any) -> set[str]:
    """Every logical id that ``value`` references through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    for node in _walk(value):
        if isinstance(node, Mapping) and len(node) == 1:
            ((name, arg),) = node.items()
            if name == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif name == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
            elif name == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
    return {name for name in found if not name.startswith("AWS::")}  # pseudo parameters are not resources


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


@dataclass
class Physical:
    """What a provisioned local resource answers to ``Ref`` and ``Fn::GetAtt``."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Resolver:
    """Resolves CloudFormation intrinsics against local resources.

    Resources are registered as they are provisioned; resolving a reference to one that is not (yet)
    registered is an error, which keeps provisioning order honest.
    """

    stack_name: str
    region: str = REGION
    account_id: str = ACCOUNT_ID
    physical: dict[str, Physical] = field(default_factory=dict)
    # Template resources that have no local counterpart but whose references must still resolve
    # (e.g. every subnet of the deployed VPC maps to the one local subnet).
    aliases: dict[str, str] = field(default_factory=dict)

    def register(self, logical_id: str, ref: str, **attributes: str) -> Physical:
        self.physical[logical_id] = Physical(ref, dict(attributes))
        return self.physical[logical_id]

    def alias(self, logical_id: str, to_logical_id: str) -> None:
        self.aliases[logical_id] = to_logical_id

    def _lookup(self, logical_id: str) -> Physical:
        target = self.aliases.get(logical_id, logical_id)
        if target not in self.physical:
            raise TemplateError(f"{logical_id} is referenced before it is provisioned locally")
        return self.physical[target]

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
            "AWS::NoValue": None,
        }.get(name)

    def ref(self, name: str) -> str:
        if name.startswith("AWS::"):
            value = self._pseudo(name)
            if value is None:
                raise TemplateError(f"unsupported pseudo parameter {name}")
            return value
        return self._lookup(name).ref

    def get_att(self, logical_id: str, attribute: str) -> str:
        physical = self._lookup(logical_id)
        if attribute not in physical.attributes:
            raise TemplateError(f"{logical_id} has no local attribute {attribute!r}")
        return physical.attributes[attribute]

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its local value."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((name, arg),) = value.items()
            if name == "Ref":
                return self.ref(arg)
            if name == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.get_att(logical_id, attribute)
            if name == "Fn::Join":
                separator, items = arg
                return separator.join(str(self.resolve(i)) for i in self.resolve(items))
            if name == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if name == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if name == "Fn::Sub":
                return self._sub(arg)
            if name == "Fn::GetAZs":
                return [f"{self.region}a", f"{self.region}b"]
            if name.startswith("Fn::"):
                raise TemplateError(f"unsupported intrinsic {name}")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg[0], self.resolve(arg[1])) if isinstance(arg, list) else (arg, {})

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", replace, text)
