"""What in a template lives on this machine and must be built or uploaded before it deploys.

    AWS::Serverless::Function      CodeUri (else Globals.Function.CodeUri, else ".")  built
    AWS::Serverless::LayerVersion  ContentUri; Metadata.BuildMethod python3.x          built
    AWS::Lambda::Function          Code: "<folder or .zip>"                            as is
    AWS::Lambda::LayerVersion      Content: "<folder or .zip>"                         as is
    AWS::Serverless::Api | HttpApi | StateMachine   DefinitionUri: "<file>"           uploaded
    AWS::ApiGateway::RestApi, AWS::ApiGatewayV2::Api   BodyS3Location: "<file>"        uploaded
    AWS::StepFunctions::StateMachine   DefinitionS3Location: "<file>"                  uploaded
    Fn::Transform AWS::Include     Parameters.Location: "<file>", anywhere              uploaded
    AWS::CloudFormation::Stack     TemplateURL: "<file>"                     packaged, uploaded
    AWS::Serverless::Application   Location: "<file>"                        packaged, uploaded

Relative paths are relative to the template's folder, as for `sam build`. Values that are
already remote (`s3://…`, `https://…`, `{Bucket, Key}`) and InlineCode are left alone.

Reads the template and looks at the file system; never writes. Every refusal names the
resource and what to change.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeGuard

from .errors import CliError

Pointer = tuple[str | int, ...]  # keys from the template's root to a value
DEFAULT_ARCHITECTURE = "x86_64"
_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PYTHON = re.compile(r"^python3\.\d+$")
# Api/HttpApi/StateMachine definitions SAM reads from DefinitionUri.
_DEFINITION_URI_TYPES = (
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::StateMachine",
)
# CloudFormation's own "S3 location" properties: {Bucket, Key} once uploaded.
_S3_LOCATION_PROPERTIES = {
    "AWS::ApiGateway::RestApi": "BodyS3Location",
    "AWS::ApiGatewayV2::Api": "BodyS3Location",
    "AWS::StepFunctions::StateMachine": "DefinitionS3Location",
}


class BuildError(CliError):
    """A resource cannot be built or packaged; the message names it and the fix."""


class Recipe(StrEnum):
    PYTHON = "python"  # copy the folder; pip install its requirements.txt into it
    PYTHON_LAYER = "python-layer"  # the same, under python/ (a layer's sys.path entry)
    COPY = "copy"  # copy the folder (a runtime Stratus installs nothing for)
    AS_IS = "as-is"  # zip the folder, or send the .zip, unchanged


class Form(StrEnum):
    """How an uploaded artifact is written back into the template."""

    URI = "uri"  # "s3://stratus-artifacts/<key>" (SAM's CodeUri, ContentUri, DefinitionUri)
    LAMBDA = "lambda"  # {"S3Bucket", "S3Key"} (AWS::Lambda::Function Code, LayerVersion Content)
    S3_LOCATION = "s3-location"  # {"Bucket", "Key"} (BodyS3Location, DefinitionS3Location)


@dataclass(frozen=True, slots=True)
class CodeArtifact:
    """A function's or layer's code, to build (or take as is), zip and upload."""

    logical_id: str
    resource_type: str
    prop: str  # the property that named it: CodeUri, ContentUri, Code or Content
    pointer: Pointer  # where its packaged value goes
    form: Form
    path: Path  # absolute: a folder, or a .zip file (Recipe.AS_IS)
    recipe: Recipe
    runtime: str | None = None  # the Python to install dependencies with
    architecture: str = DEFAULT_ARCHITECTURE
    handler: str | None = None


@dataclass(frozen=True, slots=True)
class FileArtifact:
    """A file uploaded unchanged: an OpenAPI definition, an AWS::Include snippet."""

    where: str  # for people: "MyApi DefinitionUri"
    pointer: Pointer
    form: Form
    path: Path
    nested: bool = False  # a nested stack's template: built and packaged itself first


@dataclass(frozen=True, slots=True)
class LocalArtifacts:
    code: tuple[CodeArtifact, ...]
    files: tuple[FileArtifact, ...]
    # Resources with nothing to build, and why (shown so every resource gets its line).
    skipped: tuple[tuple[str, str], ...] = ()
    # Globals.Function.CodeUri is a local path: each function gets its own packaged CodeUri,
    # and the global one must go (the server cannot read this machine's folders).
    globals_code_uri: bool = False


def is_local(value: object) -> TypeGuard[str]:
    """A path on this machine (not an s3:// or https:// location, not a Ref)."""
    return isinstance(value, str) and bool(value) and not _REMOTE.match(value)


def find_local_artifacts(template: Mapping[str, Any], base: Path) -> LocalArtifacts:
    """Every local artifact of `template`, whose relative paths start at `base`."""
    # No Resources is possible: a top-level AWS::Include may bring them (the loader checks).
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        resources = {}
    finder = _Finder(template, base)
    for logical_id, resource in resources.items():
        if isinstance(resource, Mapping):
            finder.resource(str(logical_id), resource)
    finder.globals_definitions()
    finder.includes(template)
    globals_uri = _globals(template, "Function").get("CodeUri")
    return LocalArtifacts(
        tuple(finder.code),
        tuple(finder.files),
        tuple(finder.skipped),
        globals_code_uri=is_local(globals_uri),
    )


class _Finder:
    def __init__(self, template: Mapping[str, Any], base: Path) -> None:
        self.template = template
        self.base = base
        self.code: list[CodeArtifact] = []
        self.files: list[FileArtifact] = []
        self.skipped: list[tuple[str, str]] = []

    def resource(self, logical_id: str, resource: Mapping[str, Any]) -> None:
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        if not isinstance(props, Mapping):
            return  # not ours to judge: the template validator reports it
        pointer: Pointer = ("Resources", logical_id, "Properties")
        if kind == "AWS::Serverless::Function":
            self.serverless_function(logical_id, resource, props)
        elif kind == "AWS::Serverless::LayerVersion":
            self.serverless_layer(logical_id, resource, props)
        elif kind in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
            prop = "Code" if kind == "AWS::Lambda::Function" else "Content"
            value = props.get(prop)
            if is_local(value):
                path = self.code_path(logical_id, prop, value)
                self.code.append(
                    CodeArtifact(
                        logical_id, kind, prop, (*pointer, prop), Form.LAMBDA, path, Recipe.AS_IS
                    )
                )
        elif kind in _DEFINITION_URI_TYPES:
            self.file(logical_id, "DefinitionUri", props, pointer, Form.URI)
        elif kind in _S3_LOCATION_PROPERTIES:
            self.file(logical_id, _S3_LOCATION_PROPERTIES[kind], props, pointer, Form.S3_LOCATION)
        elif kind == "AWS::CloudFormation::Stack":
            self.file(logical_id, "TemplateURL", props, pointer, Form.URI, nested=True)
        elif kind == "AWS::Serverless::Application":
            self.file(logical_id, "Location", props, pointer, Form.URI, nested=True)

    def serverless_function(
        self, logical_id: str, resource: Mapping[str, Any], props: Mapping[str, Any]
    ) -> None:
        defaults = _globals(self.template, "Function")

        def setting(name: str) -> Any:
            return props.get(name, defaults.get(name))

        if setting("PackageType") == "Image":
            raise BuildError(
                f"{logical_id}: PackageType Image is not supported by Stratus (zip packages "
                "only); remove PackageType and give CodeUri, Handler and Runtime"
            )
        if "InlineCode" in props:
            self.skipped.append((logical_id, "inline code, nothing to build"))
            return
        code_uri = props.get("CodeUri", defaults.get("CodeUri", "."))
        if not is_local(code_uri):
            if isinstance(code_uri, Mapping) and not {"Bucket", "Key"} <= code_uri.keys():
                raise BuildError(
                    f"{logical_id}: CodeUri must be a literal path to a folder (or an s3:// "
                    f"location), not {_short(code_uri)}"
                )
            self.skipped.append((logical_id, "CodeUri is already uploaded"))
            return
        runtime = self.resolve(setting("Runtime"))
        method = _build_method(logical_id, resource)
        if method is not None and not _PYTHON.match(method):
            raise _unsupported_method(logical_id, method)
        path = self.code_path(logical_id, "CodeUri", code_uri)
        if path.is_file():
            recipe = Recipe.AS_IS
        elif isinstance(runtime, str) and runtime.startswith("python"):
            recipe = Recipe.PYTHON
        else:
            recipe = Recipe.COPY
        self.code.append(
            CodeArtifact(
                logical_id,
                "AWS::Serverless::Function",
                "CodeUri",
                ("Resources", logical_id, "Properties", "CodeUri"),
                Form.URI,
                path,
                recipe,
                runtime=runtime if isinstance(runtime, str) else None,
                architecture=_architecture(self.resolve(setting("Architectures"))),
                handler=_string(self.resolve(setting("Handler"))),
            )
        )

    def serverless_layer(
        self, logical_id: str, resource: Mapping[str, Any], props: Mapping[str, Any]
    ) -> None:
        content_uri = props.get("ContentUri")
        if content_uri is None:
            raise BuildError(f"{logical_id}: ContentUri is required; name the layer's folder")
        if not is_local(content_uri):
            self.skipped.append((logical_id, "ContentUri is already uploaded"))
            return
        path = self.code_path(logical_id, "ContentUri", content_uri)
        method = _build_method(logical_id, resource)
        metadata = resource.get("Metadata") or {}
        architecture = metadata.get("BuildArchitecture") if isinstance(metadata, Mapping) else None
        if method is None or path.is_file():
            recipe, runtime = Recipe.AS_IS, None
        elif _PYTHON.match(method):
            recipe, runtime = Recipe.PYTHON_LAYER, method
        else:
            raise _unsupported_method(logical_id, method)
        self.code.append(
            CodeArtifact(
                logical_id,
                "AWS::Serverless::LayerVersion",
                "ContentUri",
                ("Resources", logical_id, "Properties", "ContentUri"),
                Form.URI,
                path,
                recipe,
                runtime=runtime,
                architecture=_architecture(
                    architecture or self.resolve(props.get("CompatibleArchitectures"))
                ),
            )
        )

    def file(
        self,
        logical_id: str,
        prop: str,
        props: Mapping[str, Any],
        pointer: Pointer,
        form: Form,
        *,
        nested: bool = False,
    ) -> None:
        value = props.get(prop)
        if is_local(value):
            where = f"{logical_id} {prop}"
            path = self.file_path(where, value)
            self.files.append(FileArtifact(where, (*pointer, prop), form, path, nested))

    def globals_definitions(self) -> None:
        for section in ("Api", "HttpApi"):
            value = _globals(self.template, section).get("DefinitionUri")
            if is_local(value):
                where = f"Globals.{section} DefinitionUri"
                pointer: Pointer = ("Globals", section, "DefinitionUri")
                self.files.append(
                    FileArtifact(where, pointer, Form.URI, self.file_path(where, value))
                )

    def includes(self, template: Mapping[str, Any]) -> None:
        """AWS::Include snippets: `Fn::Transform` anywhere, and in the top-level Transform list."""
        for pointer, transform in _transforms(template, ()):
            if transform.get("Name") != "AWS::Include":
                continue
            parameters = transform.get("Parameters")
            location = parameters.get("Location") if isinstance(parameters, Mapping) else None
            if is_local(location):
                where = f"{_describe(pointer)} AWS::Include"
                self.files.append(
                    FileArtifact(
                        where,
                        (*pointer, "Parameters", "Location"),
                        Form.URI,
                        self.file_path(where, location),
                    )
                )

    def code_path(self, logical_id: str, prop: str, value: str) -> Path:
        path = (self.base / value).resolve()
        if path.is_dir() or (path.is_file() and zipfile.is_zipfile(path)):
            return path
        problem = "is not a folder or a .zip file" if path.exists() else "does not exist"
        raise BuildError(
            f"{logical_id}: {prop} {value!r} {problem} (looked for {path}); point {prop} at "
            "the folder with the code, relative to the template's folder"
        )

    def file_path(self, where: str, value: str) -> Path:
        path = (self.base / value).resolve()
        if not path.is_file():
            raise BuildError(
                f"{where}: {value!r} is not a file (looked for {path}); fix the path, "
                "relative to the template's folder"
            )
        return path

    def resolve(self, value: Any) -> Any:
        """A `Ref` to a parameter becomes its Default (a build has no overrides)."""
        if isinstance(value, Mapping) and set(value) == {"Ref"}:
            parameters = self.template.get("Parameters") or {}
            declared = parameters.get(value["Ref"]) if isinstance(parameters, Mapping) else None
            if isinstance(declared, Mapping):
                return declared.get("Default")
            return None
        return value


def _globals(template: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    sections = template.get("Globals")
    found = sections.get(section) if isinstance(sections, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _build_method(logical_id: str, resource: Mapping[str, Any]) -> str | None:
    metadata = resource.get("Metadata")
    method = metadata.get("BuildMethod") if isinstance(metadata, Mapping) else None
    if method is not None and not isinstance(method, str):
        raise BuildError(f"{logical_id}: Metadata.BuildMethod must be a string such as python3.12")
    return method


def _unsupported_method(logical_id: str, method: str) -> BuildError:
    if method == "makefile":
        return BuildError(
            f"{logical_id}: BuildMethod makefile is not supported by Stratus; build the code "
            "yourself and point the resource at the output folder without a BuildMethod, "
            "or use BuildMethod python3.x"
        )
    return BuildError(
        f"{logical_id}: BuildMethod {method} is not supported by Stratus; use python3.x "
        "(e.g. python3.12), or remove BuildMethod to package the folder as it is"
    )


def _architecture(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return value if isinstance(value, str) else DEFAULT_ARCHITECTURE


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _short(value: Any) -> str:
    text = repr(dict(value)) if isinstance(value, Mapping) else repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _transforms(node: Any, pointer: Pointer) -> Iterator[tuple[Pointer, Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = (*pointer, key)
            if key == "Fn::Transform" and isinstance(value, Mapping):
                yield here, value
            elif key == "Transform" and not pointer and isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, Mapping):
                        yield (*here, index), item
            yield from _transforms(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _transforms(item, (*pointer, index))


def _describe(pointer: Pointer) -> str:
    if len(pointer) > 1 and pointer[0] == "Resources":
        return str(pointer[1])
    return ".".join(str(part) for part in pointer if part != "Fn::Transform") or "template"
