"""A REST API's resource tree: the root "/" and children made of path parts.

Rules (API Gateway's, with its wording):

- a path part is a literal (a-zA-Z0-9._-), `{name}` or `{name+}` (greedy);
- siblings have distinct path parts (ConflictException "Another resource with the same parent
  already has this name"), and at most one of them is a variable, greedy or not
  (BadRequestException "A sibling ({id}) of this resource already has a variable path part --
  only one is allowed");
- a greedy resource has no children; the root cannot be deleted, renamed or moved;
- deleting a resource deletes its descendants and their methods; renaming or moving one
  changes its descendants' paths.

`Tree` holds the rules as pure logic over the API's resources; `Resources` runs them inside
a RestStore transaction. The importer (rest_openapi.py via rest_service.py) builds with `Tree` too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from stratus.errors import Conflict, Invalid

from .rest_model import Resource, check_path_part
from .rest_patch import apply_patch, field
from .rest_requests import CreateResourceRequest, PatchOperation
from .rest_store import RESOURCES, Parts, RestStore, not_found, page

_PATCH = (
    field("/pathPart", ops=frozenset({"replace"})),
    field("/parentId", ops=frozenset({"replace"})),
)


def is_variable(part: str | None) -> bool:
    return part is not None and part.startswith("{")


def child_path(parent: Resource, part: str) -> str:
    return f"{parent.path.rstrip('/')}/{part}"


class Tree:
    """A REST API's resources by id, changed under the rules above (pure)."""

    def __init__(self, resources: Iterable[Resource], new_id: Callable[[], str]) -> None:
        self.by_id = {r.id: r for r in resources}
        self.new_id = new_id
        self.changed: set[str] = set()
        self.removed: set[str] = set()

    @property
    def root(self) -> Resource:
        return next(r for r in self.by_id.values() if r.parentId is None)

    def by_path(self, path: str) -> Resource | None:
        return next((r for r in self.by_id.values() if r.path == path), None)

    def children(self, resource_id: str) -> list[Resource]:
        return [r for r in self.by_id.values() if r.parentId == resource_id]

    def require(self, resource_id: str) -> Resource:
        if resource_id not in self.by_id:
            raise not_found(RESOURCES.missing, resource_id)
        return self.by_id[resource_id]

    def add(self, parent_id: str, part: str) -> Resource:
        parent = self.require(parent_id)
        self._check_place(parent, check_path_part(part), moving=None)
        resource = Resource(
            id=self.new_id(), parentId=parent.id, pathPart=part, path=child_path(parent, part)
        )
        self._store(resource)
        return resource

    def ensure(self, path: str) -> Resource:
        """The resource at `path`, made with any missing ancestors (for imports)."""
        found = self.by_path(path)
        if found is not None:
            return found
        parent = self.root
        for part in path.strip("/").split("/"):
            found = self.by_path(child_path(parent, part))
            try:
                parent = found or self.add(parent.id, part)
            except (Invalid, Conflict) as exc:
                raise Invalid(
                    f"Unable to create resource at path '{path}': {exc.message}"
                ) from None
        return parent

    def move(self, resource_id: str, parent_id: str, part: str) -> Resource:
        resource = self.require(resource_id)
        if resource.parentId is None:
            raise Invalid("The root resource cannot be renamed or moved")
        parent = self.require(parent_id)
        ancestor: Resource | None = parent
        while ancestor is not None:
            if ancestor.id == resource.id:
                raise Invalid(f"Cannot move resource {resource.id} under its own descendant")
            ancestor = self.by_id.get(ancestor.parentId or "")
        self._check_place(parent, check_path_part(part), moving=resource.id)
        moved = resource.model_copy(
            update={"parentId": parent.id, "pathPart": part, "path": child_path(parent, part)}
        )
        self._store(moved)
        self._repath(moved)
        return moved

    def remove(self, resource_id: str) -> None:
        resource = self.require(resource_id)
        if resource.parentId is None:
            raise Invalid("The root resource cannot be deleted; delete the REST API instead")
        for child in self.children(resource_id):
            self.remove(child.id)
        del self.by_id[resource_id]
        self.changed.discard(resource_id)
        self.removed.add(resource_id)

    def save(self, resource: Resource) -> None:
        self._store(resource)

    def write(self, parts: Parts) -> None:
        for resource_id in self.removed:
            parts.delete(RESOURCES, resource_id, missing_ok=True)
        for resource_id in self.changed:
            parts.put(RESOURCES, resource_id, self.by_id[resource_id])

    def _store(self, resource: Resource) -> None:
        self.by_id[resource.id] = resource
        self.changed.add(resource.id)

    def _repath(self, parent: Resource) -> None:
        for child in self.children(parent.id):
            moved = child.model_copy(update={"path": child_path(parent, child.pathPart or "")})
            self._store(moved)
            self._repath(moved)

    def _check_place(self, parent: Resource, part: str, moving: str | None) -> None:
        if parent.pathPart and parent.pathPart.endswith("+}"):
            raise Invalid(
                f"Cannot create a child of {parent.path}: a resource with a greedy path "
                "variable cannot have children"
            )
        for sibling in self.children(parent.id):
            if sibling.id == moving:
                continue
            if sibling.pathPart == part:
                raise Conflict(
                    f"Another resource with the same parent already has this name: {part}"
                )
            if is_variable(part) and is_variable(sibling.pathPart):
                raise Invalid(
                    f"A sibling ({sibling.pathPart}) of this resource already has a variable "
                    "path part -- only one is allowed"
                )


class Resources:
    """CreateResource, GetResource(s), UpdateResource, DeleteResource."""

    def __init__(self, store: RestStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    async def create(self, api_id: str, parent_id: str, request: CreateResourceRequest) -> Resource:
        def work(parts: Parts) -> Resource:
            tree = Tree(parts.all(RESOURCES), self._new_id)
            resource = tree.add(parent_id, request.pathPart)
            tree.write(parts)
            return resource

        return await self._store.write(api_id, work)

    async def get(self, api_id: str, resource_id: str) -> Resource:
        return await self._store.read(api_id, lambda parts: parts.require(RESOURCES, resource_id))

    async def list(
        self, api_id: str, position: str | None = None, limit: int | None = None
    ) -> tuple[list[Resource], str | None]:
        found = await self._store.read(api_id, lambda parts: parts.all(RESOURCES))
        return page(found, lambda r: r.path, position, limit)

    async def update(self, api_id: str, resource_id: str, patch: list[PatchOperation]) -> Resource:
        def work(parts: Parts) -> Resource:
            tree = Tree(parts.all(RESOURCES), self._new_id)
            resource = tree.require(resource_id)
            wanted = apply_patch(resource.wire(), patch, _PATCH)
            moved = tree.move(resource_id, str(wanted.get("parentId")), str(wanted.get("pathPart")))
            tree.write(parts)
            return moved

        return await self._store.write(api_id, work)

    async def delete(self, api_id: str, resource_id: str) -> None:
        def work(parts: Parts) -> None:
            tree = Tree(parts.all(RESOURCES), self._new_id)
            tree.remove(resource_id)
            tree.write(parts)

        await self._store.write(api_id, work)
