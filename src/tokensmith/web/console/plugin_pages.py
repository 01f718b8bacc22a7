"""Pages for any kind of plugin instance (access token managers, credential validators, token
generators, token processors...): a listing with an Action column, create (choose the type, then the
descriptor form), modify, Check Usage, and Delete with the reasons it is refused.

A new kind of instance needs one :class:`PluginResource` naming its registry and its admin
resource service; the pages, the form and the validation display come from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from tokensmith.admin.context import AdminContext, ref_id
from tokensmith.config.model import ConfigModel
from tokensmith.errors import ErrorCollector, FieldError, NotFound, ValidationFailed
from tokensmith.plugins.descriptors import PluginDescriptor
from tokensmith.plugins.registry import PluginRegistry
from tokensmith.web.console import plugin_form, references
from tokensmith.web.console.forms import FormErrors, RowAction
from tokensmith.web.console.listing import Action, Cell, Listing, Row
from tokensmith.web.console.web import Console, FormInput, Page
from tokensmith.web.routing import Deps

Doc = dict[str, Any]


@dataclass(frozen=True)
class FormPart:
    """A part of an instance form beyond the plugin configuration (attribute contract, ...).

    ``names`` lists the inputs it renders (for placing errors), ``parse`` copies the submitted
    values into the draft body, ``context`` gives its template what it lists (clients, ...).
    """

    template: str
    names: Callable[[Doc], list[str]]
    parse: Callable[[FormInput, Doc, Doc | None, RowAction | None, ErrorCollector], None]
    context: Callable[[ConfigModel, Doc], dict[str, Any]] = lambda _model, _draft: {}
    applies: Callable[[PluginDescriptor], bool] = lambda _descriptor: True


@dataclass
class PluginResource:
    path: str                     # under /console, e.g. "/oauth/access-token-managers"
    section: str                  # navigation section
    title: str                    # "Access Token Managers"
    singular: str                 # "access token manager"
    kind: str                     # configuration model kind
    types: Callable[[Deps], PluginRegistry]
    # create and update return the saved document, or (document, warnings to show after the save).
    create: Callable[[AdminContext, ConfigModel, Doc], Doc | tuple[Doc, list[str]]]
    update: Callable[[AdminContext, ConfigModel, str, Doc], Doc | tuple[Doc, list[str]]]
    delete: Callable[[Deps, ConfigModel, str], None]
    # Who uses an instance; by default, the reasons a delete would be refused (tried on a copy).
    usage: Callable[[Deps, ConfigModel, str], list[FieldError]] | None = None
    # Problems to flag in the listing (for example broken connections), per instance.
    problems: Callable[[Deps, ConfigModel, Doc], list[str]] | None = None
    parts: tuple[FormPart, ...] = ()
    intro: str = ""
    list_extra: str | None = None  # a template included under the listing
    list_context: Callable[[ConfigModel], dict[str, Any]] = field(default=lambda _model: {})

    def users(self, deps: Deps, model: ConfigModel, instance_id: str) -> list[FieldError]:
        if self.usage is not None:
            return self.usage(deps, model, instance_id)
        try:
            self.delete(deps, model.copy(), instance_id)
        except ValidationFailed as exc:
            return exc.errors
        return []

    def register(self, console: Console) -> None:
        console.add_nav(self.section, self.title, self.path)
        console.counters[self.path] = lambda model: len(model.ids(self.kind))
        pages = _Pages(self)
        console.page(self.path)(pages.listing)
        console.page(self.path + "/new", ("GET", "POST"))(pages.create)
        console.page(self.path + "/edit", ("GET", "POST"))(pages.edit)
        console.page(self.path + "/usage")(pages.check_usage)
        console.page(self.path + "/delete", ("GET", "POST"))(pages.remove)


class _Pages:
    def __init__(self, resource: PluginResource) -> None:
        self.r = resource

    def _get(self, model: ConfigModel, instance_id: str) -> Doc:
        doc = model.get(self.r.kind, instance_id)
        if doc is None:
            raise NotFound(f"There is no {self.r.singular} with id '{instance_id}'.")
        return doc

    async def listing(self, page: Page) -> Response:
        registry = self.r.types(page.deps)
        url = page.console.url

        def rows(model: ConfigModel) -> tuple[list[Row], dict[str, Any]]:
            out = []
            for doc in model.all(self.r.kind):
                descriptor = registry.get(ref_id(doc, "pluginDescriptorRef") or "")
                parent = ref_id(doc, "parentRef")
                parent_doc = model.get(self.r.kind, parent) if parent else None
                out.append(Row(
                    [Cell(doc.get("name") or doc["id"], href=url(self.r.path + "/edit", id=doc["id"])),
                     Cell(doc["id"], code=True),
                     Cell(descriptor.name if descriptor else str(ref_id(doc, "pluginDescriptorRef"))),
                     Cell((parent_doc or {}).get("name") or parent or "")],
                    [Action("Check Usage", url(self.r.path + "/usage", id=doc["id"])),
                     Action("Delete", url(self.r.path + "/delete", id=doc["id"]), danger=True)],
                    self.r.problems(page.deps, model, doc) if self.r.problems else []))
            return out, self.r.list_context(model)

        items, extra = await page.read(rows)
        listing = Listing(self.r.title, ["Instance Name", "Instance ID", "Type", "Parent Name"], items,
                          ("Create New Instance", url(self.r.path + "/new")), self.r.intro,
                          f"No {self.r.singular} exists yet.", self.r.list_extra)
        return await page.render("listing.html", listing=listing, extra=extra)

    # ------------------------------------------------------------------ create and modify

    async def create(self, page: Page) -> Response:
        registry = self.r.types(page.deps)
        type_id = page.form.get("pluginDescriptorRef.id") if page.form else page.query("type")
        descriptor = registry.get(type_id)
        if descriptor is None:
            return await page.render("plugin_choose.html", r=self.r, types=registry.all(), unknown=type_id,
                                     status=200 if not type_id else 404)
        if page.form is None:
            draft: Doc = {"id": "", "name": "", "pluginDescriptorRef": {"id": descriptor.id},
                          "configuration": plugin_form.blank(descriptor)}
            return await self._form(page, descriptor, draft, None, FormErrors.none())
        return await self._submit(page, descriptor, None)

    async def edit(self, page: Page) -> Response:
        instance_id = page.query("id")
        existing = await page.read(lambda model: self._get(model, instance_id))
        registry = self.r.types(page.deps)
        descriptor = registry.get(ref_id(existing, "pluginDescriptorRef") or "")
        if descriptor is None:
            raise NotFound(f"The type of {self.r.singular} '{instance_id}' is not installed on this server.")
        if page.form is None:
            draft = {**existing, "configuration": plugin_form.from_stored(existing["configuration"])}
            return await self._form(page, descriptor, draft, existing, FormErrors.none())
        return await self._submit(page, descriptor, existing)

    async def _submit(self, page: Page, descriptor: PluginDescriptor, existing: Doc | None) -> Response:
        form = page.form
        assert form is not None
        action = RowAction.parse(form.action)
        errors = ErrorCollector()
        parent = form.get("parentRef.id") if descriptor.supports_parent else ""
        draft: Doc = {
            "id": existing["id"] if existing else form.get("id").strip(),
            "name": form.get("name").strip(),
            "pluginDescriptorRef": {"id": descriptor.id},
            "configuration": plugin_form.parse(descriptor, form, existing["configuration"] if existing else None,
                                               bool(parent), action),
        }
        if parent:
            draft["parentRef"] = {"id": parent}
        for part in self._parts(descriptor):
            part.parse(form, draft, existing, action, errors)
        if action is not None or form.action == "refresh":  # add/remove a row: show the form again
            return await self._form(page, descriptor, draft, existing, FormErrors.none())
        if errors:
            return await self._form(page, descriptor, draft, existing, self._place(descriptor, draft, errors.errors),
                                    422)
        body = {**draft, "configuration": plugin_form.to_api(draft["configuration"])}
        ctx = page.admin_context()
        try:
            if existing is None:
                result = await page.change(lambda model: self.r.create(ctx, model, body))
            else:
                result = await page.change(lambda model: self.r.update(ctx, model, existing["id"], body))
        except ValidationFailed as exc:
            return await self._form(page, descriptor, draft, existing, self._place(descriptor, draft, exc.errors),
                                    422)
        verb = "created" if existing is None else "saved"
        await page.flash("success", f"{self.r.singular.capitalize()} '{draft['name']}' {verb}.")
        for warning in result[1] if isinstance(result, tuple) else []:
            await page.flash("warning", warning)
        return await page.redirect(self.r.path)

    def _parts(self, descriptor: PluginDescriptor) -> list[FormPart]:
        return [p for p in self.r.parts if p.applies(descriptor)]

    def _place(self, descriptor: PluginDescriptor, draft: Doc, errors: list[FieldError]) -> FormErrors:
        names = ["id", "name", "pluginDescriptorRef.id", "parentRef.id", "parentRef", "configuration"]
        names += plugin_form.view(descriptor, draft["configuration"], "parentRef" in draft).names()
        for part in self._parts(descriptor):
            names += part.names(draft)
        return FormErrors.place(errors, names)

    async def _form(self, page: Page, descriptor: PluginDescriptor, draft: Doc, existing: Doc | None,
                    errors: FormErrors, status: int = 200) -> Response:
        def context(model: ConfigModel) -> tuple[dict[str, Any], list[tuple[str, Any]], plugin_form.PluginFormView]:
            values: dict[str, Any] = {}
            for part in self._parts(descriptor):
                values.update(part.context(model, draft))
            parents = [(d["id"], d.get("name", d["id"])) for d in model.all(self.r.kind)
                       if ref_id(d, "pluginDescriptorRef") == descriptor.id and d["id"] != draft.get("id")]
            form_view = plugin_form.view(descriptor, draft["configuration"], "parentRef" in draft,
                                         references.resolver(model, draft["configuration"]))
            return values, parents, form_view

        extra, parents, form_view = await page.read(context)
        return await page.render("plugin_form.html", status=status, r=self.r, descriptor=descriptor, draft=draft,
                                 existing=existing, errors=errors, config=form_view, parents=parents,
                                 parts=self._parts(descriptor), extra=extra)

    # ------------------------------------------------------------------ usage and delete

    async def check_usage(self, page: Page) -> Response:
        instance_id = page.query("id")

        def usage(model: ConfigModel) -> tuple[Doc, list[FieldError]]:
            return self._get(model, instance_id), self.r.users(page.deps, model, instance_id)

        doc, users = await page.read(usage)
        return await page.render("usage.html", r=self.r, doc=doc, users=[u.message for u in users],
                                 back=self.r.path)

    async def remove(self, page: Page) -> Response:
        instance_id = page.query("id")

        def usage(model: ConfigModel) -> tuple[Doc, list[FieldError]]:
            return self._get(model, instance_id), self.r.users(page.deps, model, instance_id)

        doc, users = await page.read(usage)
        status = 200
        if page.form is not None:
            try:
                await page.change(lambda model: self.r.delete(page.deps, model, instance_id))
            except ValidationFailed as exc:
                users, status = exc.errors, 422
            else:
                label = doc.get("name", instance_id)
                return await page.redirect(self.r.path, f"{self.r.singular.capitalize()} '{label}' deleted.")
        return await page.render("delete.html", status=status, what=self.r.singular,
                                 label=doc.get("name", instance_id), ident=instance_id,
                                 reasons=[u.message for u in users], back=self.r.path,
                                 action=page.console.url(self.r.path + "/delete", id=instance_id))
