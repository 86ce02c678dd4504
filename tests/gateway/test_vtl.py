"""Mapping templates (gateway/vtl.py) on the examples of AWS's "Variables for data
transformations" reference, and the Java behaviours templates rely on."""

from __future__ import annotations

import json

import pytest

from stratus.gateway.vtl import TemplateFailed, overrides, render

PARAMS = {
    "path": {"petId": "7"},
    "querystring": {"mode": "fast"},
    "header": {"X-Agent": 'say "hi"'},
}


def _render(template: str, body: str = "", **context: object) -> str:
    return render(
        template, body=body, params=PARAMS, context=dict(context),
        stage_variables={"colour": "green"},
    )  # fmt: skip


def test_every_parameter_by_type_as_in_aws_example():
    template = """#set($allParams = $input.params())
{
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
}
}"""
    assert json.loads(_render(template)) == {"params": PARAMS}


def test_input_json_path_and_body():
    body = json.dumps({"things": [{"id": 1}, {"id": 2}], "name": "ada", "flag": True, "n": None})
    template = """{
"count": $input.path('$.things').size(),
"ids": [#foreach($t in $input.path('$.things'))$t.id#if($foreach.hasNext),#end#end],
"first": $input.json('$.things[0]'),
"name": "$input.path('$.name').toUpperCase()",
"flag": $input.path('$.flag'),
"nothing": "$input.path('$.n')$input.path('$.missing')",
"length": $input.body.length()
}"""
    assert json.loads(_render(template, body)) == {
        "count": 2, "ids": [1, 2], "first": {"id": 1}, "name": "ADA", "flag": True,
        "nothing": "", "length": len(body),
    }  # fmt: skip


def test_params_by_name_look_in_path_then_query_then_headers():
    assert _render("$input.params('petId') $input.params('mode') $input.params('x-agent')") == (
        '7 fast say "hi"'
    )
    assert _render("[$input.params('absent')]") == "[]"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('$util.escapeJavaScript("it\'s ""q""")', 'it\\\'s \\"q\\"'),
        ("$util.urlEncode('a b&c')", "a+b%26c"),
        ("$util.urlDecode('a+b%26c')", "a b&c"),
        ("$util.base64Encode('hello')", "aGVsbG8="),
        ("$util.base64Decode('aGVsbG8=')", "hello"),
        ("#set($o = $util.parseJson('{\"a\": [1, 2]}'))$o.a.get(1)", "2"),
        ("$stageVariables.colour", "green"),
        ("#if($input.path('$.off'))on#{else}off#end", "off"),
    ],
)
def test_util_and_stage_variables(template, expected):
    assert _render(template, '{"off": false}') == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # Velocity 1.7 reads no backslash escapes in literals: what is written is the value.
        (r"#set($a = '\\ \d \n \')$a", "\\\\ \\d \\n \\"),
        (r'#set($a = "\\ \d \n \")$a', "\\\\ \\d \\n \\"),
        # A quote is written twice; in the other kind of literal it is just a character.
        ("#set($a = 'it''s \"q\"')$a", 'it\'s "q"'),
        ('#set($a = "say ""hi"" it\'s")$a', 'say "hi" it\'s'),
        # \uXXXX is the one escape of a double-quoted literal, which alone is interpolated.
        (r'#set($a = "\u0041$stageVariables.colour")$a', "Agreen"),
        (r"#set($a = '\u0041$stageVariables.colour')$a", r"\u0041$stageVariables.colour"),
    ],
)
def test_string_literals_as_velocity_reads_them(template, expected):
    assert _render(template) == expected


def test_escaped_quotes_are_undone_as_aws_documents():
    r"""AWS's idiom `.replaceAll("\\'","'")`: Java's regex sees a backslash and a quote, so
    escapeJavaScript's `\'` (not valid JSON) becomes `'` again."""
    template = r"""#set($data = $util.escapeJavaScript($input.json('$')).replaceAll("\\'","'"))
#set($name = $util.escapeJavaScript($input.path('$.name')).replaceAll('\\''', ''''))
{"input": "$data", "name": "$name"}"""

    rendered = json.loads(_render(template, '{"name": "O\'Brien"}'))

    assert rendered == {"input": '{"name":"O\'Brien"}', "name": "O'Brien"}


def test_context_values_and_overrides():
    context = {
        "requestId": "r-1",
        "identity": {"sourceIp": "127.0.0.1"},
        "responseOverride": {"header": {}},
    }
    text = render(
        "$context.requestId $context.identity.sourceIp"
        "#set($context.responseOverride.status = 201)"
        "#set($context.responseOverride.header.X_Id = $context.requestId)",
        body="", params=PARAMS, context=context, stage_variables={},
    )  # fmt: skip

    assert text == "r-1 127.0.0.1"
    assert dict(overrides(context, "responseOverride")) == {"status": 201, "header.X_Id": "r-1"}


@pytest.mark.parametrize("template", ["$input.json('$[')", "#set($x = $util.parseJson('{'))"])
def test_failures_are_template_failures(template):
    with pytest.raises(TemplateFailed):
        _render(template, "{}")
