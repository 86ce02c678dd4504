"""The weighted-routing rule, on its own."""

import pytest

from stratus.functions.aliases import AliasConfiguration, AliasRoutingConfiguration, pick_version


def _alias(weights):
    return AliasConfiguration(
        AliasArn="arn",
        Name="a",
        FunctionVersion="1",
        RevisionId="r",
        RoutingConfig=AliasRoutingConfiguration(AdditionalVersionWeights=weights),
    )


@pytest.mark.parametrize(
    ("weights", "draw", "expected"),
    [
        ({}, 0.0, "1"),
        ({"2": 0.3}, 0.0, "2"),
        ({"2": 0.3}, 0.299, "2"),
        ({"2": 0.3}, 0.3, "1"),
        ({"2": 0.3}, 0.99, "1"),
        ({"2": 0.0}, 0.0, "1"),
        ({"2": 1.0}, 0.999, "2"),
    ],
)
def test_pick_version(weights, draw, expected):
    """A draw below the additional version's weight picks it; otherwise the primary."""
    assert pick_version(_alias(weights), draw) == expected
