"""The intrinsic functions, conditions and reference checks, as CloudFormation evaluates them."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from stratus.errors import Invalid
from stratus.templates.intrinsics import (
    Scope,
    check_references,
    evaluate_conditions,
    references,
    resolve,
)
from stratus.templates.parameters import pseudo_parameters

PSEUDO = pseudo_parameters(
    region="eu-west-1", account_id="123456789012", stack_name="app", stack_id="arn:stack/app/1"
)
PHYSICAL = {"Bucket": "app-bucket-1", "Fn": "app-Fn-1"}
ATTRIBUTES = {
    ("Fn", "Arn"): "arn:aws:lambda:eu-west-1:123456789012:function:app-Fn-1",
    ("Db", "Endpoint.Address"): "db.local",
}


def _ref(name: str) -> Any:
    if name not in PHYSICAL:
        raise Invalid(f"no resource {name}")
    return PHYSICAL[name]


def _get_att(name: str, attribute: str) -> Any:
    return ATTRIBUTES[(name, attribute)]


SCOPE = Scope(
    parameters={"Env": "prod", "Ports": ["80", "443"], "Size": "3"} | PSEUDO,
    conditions={"IsProd": True, "IsDev": False},
    mappings={"Regions": {"eu-west-1": {"Ami": "ami-1"}}},
    ref=_ref,
    get_att=_get_att,
    import_value=lambda name: {"shared-vpc": "vpc-1"}[name],
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Env"}, "prod"),
        ({"Ref": "Bucket"}, "app-bucket-1"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "AWS::NotificationARNs"}, []),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, ATTRIBUTES[("Fn", "Arn")]),
        ({"Fn::GetAtt": "Db.Endpoint.Address"}, "db.local"),
        ({"Fn::GetAtt": ["Db", "Endpoint.Address"]}, "db.local"),
        ({"Fn::Sub": "${AWS::StackName}-${Env}-${Bucket}"}, "app-prod-app-bucket-1"),
        ({"Fn::Sub": "arn:${Fn.Arn}"}, "arn:" + ATTRIBUTES[("Fn", "Arn")]),
        ({"Fn::Sub": "${!Literal}-${Env}"}, "${Literal}-prod"),
        ({"Fn::Sub": ["${A}/${Env}", {"A": {"Ref": "Bucket"}}]}, "app-bucket-1/prod"),
        ({"Fn::Sub": ["${Env}", {"Env": "shadowed"}]}, "shadowed"),
        ({"Fn::Sub": "no variables"}, "no variables"),
        ({"Fn::Join": [",", ["a", {"Ref": "Env"}, 3, True]]}, "a,prod,3,true"),
        ({"Fn::Join": ["-", {"Ref": "Ports"}]}, "80-443"),
        ({"Fn::Join": ["", []]}, ""),
        ({"Fn::Select": [1, {"Ref": "Ports"}]}, "443"),
        ({"Fn::Select": ["0", ["x", "y"]]}, "x"),
        ({"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "eu-west-1a"),
        ({"Fn::Split": [",", "a,b,,c"]}, ["a", "b", "", "c"]),
        ({"Fn::Select": [2, {"Fn::Split": ["/", "x/y/z"]}]}, "z"),
        ({"Fn::If": ["IsProd", "big", "small"]}, "big"),
        ({"Fn::If": ["IsDev", {"Ref": "Missing"}, "small"]}, "small"),
        ({"Fn::Equals": [{"Ref": "Env"}, "prod"]}, True),
        ({"Fn::Equals": [{"Ref": "Size"}, 3]}, True),
        ({"Fn::Equals": [True, "true"]}, True),
        ({"Fn::And": [{"Fn::Equals": [1, "1"]}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}]}, True),
        ({"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Fn::Equals": ["a", "c"]}]}, False),
        ({"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Ami"]}, "ami-1"),
        ({"Fn::FindInMap": ["Regions", "us-east-1", "Ami", {"DefaultValue": "ami-0"}]}, "ami-0"),
        ({"Fn::GetAZs": {"Ref": "AWS::Region"}}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ({"Fn::GetAZs": "us-west-2"}, ["us-west-2a", "us-west-2b", "us-west-2c"]),
        ({"Fn::Base64": {"Fn::Sub": "echo ${Env}"}}, base64.b64encode(b"echo prod").decode()),
        ({"Fn::Cidr": ["10.0.0.0/16", 3, 8]}, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
        ({"Fn::Cidr": ["192.168.0.0/24", "2", "6"]}, ["192.168.0.0/26", "192.168.0.64/26"]),
        ({"Fn::Cidr": ["2001:db8::/56", 2, 64]}, ["2001:db8::/64", "2001:db8:0:1::/64"]),
        ({"Fn::ImportValue": {"Fn::Sub": "shared-vpc"}}, "vpc-1"),
        ({"Fn::Length": {"Ref": "Ports"}}, 2),
        ({"Fn::ToJsonString": {"a": [1, {"Ref": "Env"}]}}, '{"a":[1,"prod"]}'),
        # AWS::NoValue takes its key or list item away.
        ({"A": {"Ref": "AWS::NoValue"}, "B": 1}, {"B": 1}),
        (["a", {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "b"]}, "c"], ["a", "c"]),
        ({"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "x"]}, None),
        # Not intrinsics: IAM's Condition block, Condition outside the Conditions block (IoT
        # Events has such a property), and mappings of more than one key.
        ({"Condition": "$input.x > 1"}, {"Condition": "$input.x > 1"}),
        ({"Condition": {"StringEquals": {"k": "v"}}}, {"Condition": {"StringEquals": {"k": "v"}}}),
        ({"Ref": "Env", "Other": 1}, {"Ref": "Env", "Other": 1}),
    ],
)
def test_resolve(value: Any, expected: Any) -> None:
    """Each intrinsic gives what CloudFormation gives."""
    result = resolve(value, SCOPE)

    assert result == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"Fn::Foo": 1},
            "Template format error: Unrecognized intrinsic function Fn::Foo "
            "(at Resources/R/Properties/P)",
        ),
        (
            {"Fn::Join": ","},
            "Template error: every Fn::Join object requires two parameters, (1) a string delimiter",
        ),
        ({"Fn::Join": [",", "notalist"]}, "every Fn::Join object requires two parameters"),
        ({"Fn::Join": [",", [{"a": 1}]]}, "Fn::Join needs a string here"),
        ({"Fn::Select": [5, ["a"]]}, "Fn::Select cannot select nonexistent value at index 5"),
        ({"Fn::Select": ["x", ["a"]]}, "every Fn::Select object requires two parameters"),
        ({"Fn::Split": [",", ["a"]]}, "every Fn::Split object requires two parameters"),
        ({"Fn::If": ["IsProd", "a"]}, "every Fn::If object requires three parameters"),
        ({"Fn::If": ["Nope", "a", "b"]}, "Unresolved condition dependency Nope"),
        ({"Fn::Equals": ["a"]}, "every Fn::Equals object requires a list of 2 string parameters."),
        (
            {"Fn::And": [{"Condition": "IsProd"}]},
            "every Fn::And object requires a list of at least 2",
        ),
        ({"Fn::Not": ["true"]}, "every Fn::Not object requires one boolean parameter"),
        ({"Fn::GetAtt": ["Fn"]}, "every Fn::GetAtt object requires two non-empty parameters"),
        ({"Fn::GetAtt": "Fn"}, "every Fn::GetAtt object requires two non-empty parameters"),
        (
            {"Fn::FindInMap": ["Nope", "a", "b"]},
            "Mapping named 'Nope' is not present in the 'Mappings' section",
        ),
        ({"Fn::FindInMap": ["Regions", "x", "Ami"]}, "Unable to get mapping for Regions::x::Ami"),
        (
            {"Fn::FindInMap": ["Regions", "x"]},
            "every Fn::FindInMap object requires three parameters",
        ),
        ({"Fn::Cidr": ["10.0.0.0/30", 2, 8]}, "cannot hold /24 subnets"),
        (
            {"Fn::Cidr": ["10.0.0.0/24", 5, 6]},
            "cannot make 5 /26 subnets from 10.0.0.0/24; it holds 4",
        ),
        ({"Fn::Cidr": ["nonsense", 1, 8]}, "every Fn::Cidr object requires three parameters"),
        ({"Fn::Sub": "${Ports}"}, "variable Ports in Fn::Sub expression is a list"),
        ({"Fn::Sub": 3}, "Fn::Sub intrinsic functions don't specify expected arguments"),
        ({"Ref": ["a"]}, "Every Ref object must have a single String value."),
        ({"Ref": "Missing"}, "no resource Missing"),
        ({"Fn::Transform": {"Name": "MyMacro"}}, "transform MyMacro is not supported"),
    ],
)
def test_resolve_errors(value: Any, message: str) -> None:
    """Wrong shapes and unknown names fail in CloudFormation's words, saying where."""
    with pytest.raises(Invalid) as caught:
        resolve({"P": value}, SCOPE, "Resources/R/Properties")

    assert message in caught.value.message


def test_conditions_in_any_order() -> None:
    """Conditions may use each other, declared in any order."""
    declared = {
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InEurope"}]},
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "InEurope": {
            "Fn::Equals": [{"Fn::Select": [0, {"Fn::Split": ["-", {"Ref": "AWS::Region"}]}]}, "eu"]
        },
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Alias": {"Condition": "Both"},
    }

    conditions = evaluate_conditions(declared, SCOPE)

    assert conditions == {
        "Both": True,
        "IsProd": True,
        "InEurope": True,
        "NotProd": False,
        "Alias": True,
    }


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (
            {"A": {"Condition": "B"}, "B": {"Fn::Not": [{"Condition": "A"}]}},
            "Circular condition dependency: [A, B, A]",
        ),
        (
            {"A": {"Fn::Equals": [{"Ref": "Bucket"}, "x"]}},
            "Unresolved dependencies [Bucket]. Cannot reference resources in the Conditions block",
        ),
        ({"A": {"Condition": "Nope"}}, "Unresolved condition dependency Nope"),
        ({"A": {"Ref": "Env"}}, "Condition A must be a boolean function"),
    ],
)
def test_condition_errors(declared: dict[str, Any], message: str) -> None:
    """Cycles, resources in conditions and non-boolean conditions are refused."""
    with pytest.raises(Invalid) as caught:
        evaluate_conditions(declared, SCOPE)

    assert message in caught.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "A"}, {"A"}),
        ({"Ref": "AWS::Region"}, set()),
        ({"Ref": "Env"}, set()),  # a parameter
        ({"Fn::GetAtt": ["B", "Arn"]}, {"B"}),
        ({"Fn::GetAtt": "C.Endpoint.Address"}, {"C"}),
        ({"Fn::Sub": "${D}-${E.Arn}-${!F}-${AWS::Region}-${Env}"}, {"D", "E"}),
        ({"Fn::Sub": ["${x}-${G}", {"x": {"Ref": "H"}}]}, {"G", "H"}),
        ({"Fn::If": ["C", {"Ref": "I"}, {"Ref": "J"}]}, {"I", "J"}),
        ({"Fn::Join": ["", [{"Ref": "K"}, {"Fn::Select": [0, [{"Ref": "L"}]]}]]}, {"K", "L"}),
        ({"Condition": "IsProd"}, set()),
        ({"Statement": [{"Condition": {"StringEquals": {"a": "b"}}}]}, set()),
    ],
)
def test_references(value: Any, expected: set[str]) -> None:
    """The logical ids a value refers to, whichever form names them."""
    found = references(value, parameters={"Env"})

    assert found == expected


def test_references_follow_the_branch_taken() -> None:
    """With conditions known, only the Fn::If branch taken counts."""
    value = {"Fn::If": ["IsProd", {"Ref": "I"}, {"Ref": "J"}]}

    assert references(value, conditions={"IsProd": False}) == {"J"}


def _template(**sections: Any) -> dict[str, Any]:
    return {"Resources": {"A": {"Type": "T"}}} | sections


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            _template(
                Resources={
                    "A": {
                        "Type": "T",
                        "Properties": {"X": {"Ref": "Nope"}, "Y": {"Fn::Sub": "${Nah}"}},
                    }
                }
            ),
            "Template format error: Unresolved resource dependencies [Nope, Nah] in the "
            "Resources block of the template",
        ),
        (
            _template(Resources={"A": {"Type": "T", "DependsOn": ["Gone"]}}),
            "Unresolved resource dependencies [Gone] in the Resources block",
        ),
        (
            _template(
                Resources={
                    "A": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["Ghost", "Arn"]}}}
                }
            ),
            "Template error: instance of Fn::GetAtt references undefined resource Ghost",
        ),
        (
            _template(
                Parameters={"P": {"Type": "String"}},
                Resources={"A": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": "P.Arn"}}}},
            ),
            "instance of Fn::GetAtt references undefined resource P",
        ),
        (
            _template(Outputs={"O": {"Value": {"Ref": "Nope"}}}),
            "Unresolved resource dependencies [Nope] in the Outputs block of the template",
        ),
        (
            _template(
                Resources={"A": {"Type": "T", "Properties": {"X": {"Fn::If": ["NoSuch", 1, 2]}}}}
            ),
            "Unresolved condition dependency NoSuch in Fn::If (at Resources/A)",
        ),
        (
            _template(Resources={"A": {"Type": "T", "Condition": "NoSuch"}}),
            "Unresolved condition dependency NoSuch in Resources/A",
        ),
    ],
)
def test_check_references_errors(template: dict[str, Any], message: str) -> None:
    """Every name a template uses must be declared, checked before anything is deployed."""
    with pytest.raises(Invalid) as caught:
        check_references(template)

    assert message in caught.value.message


def test_check_references_accepts_declared_names() -> None:
    """Parameters, pseudo parameters, resources and Sub variables are all fine."""
    template = {
        "Parameters": {"Env": {"Type": "String"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Resources": {
            "A": {
                "Type": "T",
                "Properties": {
                    "X": {"Fn::Sub": ["${Env}-${AWS::Region}-${v}-${B.Arn}", {"v": "1"}]}
                },
            },
            "B": {
                "Type": "T",
                "DependsOn": "A",
                "Properties": {"Y": {"Fn::If": ["IsProd", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}},
            },
        },
        "Outputs": {
            "O": {
                "Value": {"Fn::GetAtt": ["B", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-b"}},
            }
        },
    }

    check_references(template)


def test_check_references_with_conditions() -> None:
    """A resource its condition leaves out cannot be referred to, but from a branch not taken."""
    template = {
        "Conditions": {"IsProd": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Cache": {"Type": "T", "Condition": "IsProd"},
            "Fn": {
                "Type": "T",
                "Properties": {"C": {"Fn::If": ["IsProd", {"Ref": "Cache"}, "none"]}},
            },
            "Bad": {"Type": "T", "Properties": {"C": {"Ref": "Cache"}}},
        },
    }

    with pytest.raises(Invalid) as caught:
        check_references(template, conditions={"IsProd": False})

    assert "Unresolved resource dependencies [Cache]" in caught.value.message
    check_references(template)  # without conditions, every resource counts
