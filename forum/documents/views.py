"""The docuthèque's pages: a group's list, uploading, a document, its downloads."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from forum.documents import bp, rules, services  # noqa: F401 - rules register at import
from forum.documents import listing as lists
from forum.documents.forms import DocumentForm, ReplaceForm, UploadForm
from forum.documents.models import INLINE_KINDS, Document, Kind
from forum.documents.services import DocumentData, DocumentError
from forum.documents.storage import LocalStorage, storage
from forum.extensions import db
from forum.forms import ActionForm, form_status
from forum.groups.services import group_or_404
from forum.permissions import can, require, require_visible, signed_in_user

UPLOADS = {"documents.new_document", "documents.replace_file"}


@bp.url_value_preprocessor
def _upload_limit(endpoint, values) -> None:
    """Uploads may be larger than other requests (UPLOAD_MAX_MB plus the form's fields).
    Set before any code reads the body: URL preprocessors run before every before_request
    function, the CSRF check included."""
    if endpoint in UPLOADS:
        request.max_content_length = services.max_bytes() + 1024 * 1024
        g.upload_limit_mb = services.max_bytes() // 1048576  # for the 413 page


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    """1,2 Mo in French, 1.2 MB in English."""
    # One decimal, the locale's decimal sign (Babel's format_decimal costs 0.1 ms a call).
    sign = get_locale().number_symbols.get("latn", {}).get("decimal", ".")
    if size < 1024 * 1024:
        number = f"{max(size / 1024, 0.1):.1f}".removesuffix(".0").replace(".", sign)
        return _("%(size)s KB", size=number)
    number = f"{size / 1048576:.1f}".removesuffix(".0").replace(".", sign)
    return _("%(size)s MB", size=number)


def _document(document_id: int, action: str = "document.view") -> Document:
    """The one loader: 404 when missing, or hidden from the user."""
    return require_visible(services.load_document(document_id), "document.view", action)


def _data(form: DocumentForm) -> DocumentData:
    return DocumentData(
        title=form.title.data,
        description=form.description.data or "",
        tags=services.parse_tags(form.tags.data or ""),
        issued_on=form.issued_on.data,
        source=form.source.data or "",
        visibility=form.visibility.data,
    )


def _show_error(form, exc: DocumentError) -> None:
    field = getattr(form, exc.field, None)
    if field is None:
        flash(str(exc.message), "error")
        return
    field.errors = [*field.errors, exc.message]


@bp.route("/groups/<slug>/documents/")
def list_documents(slug: str):
    """The group's docuthèque: documents newest first, by tag and type; meeting minutes."""
    group = group_or_404(slug)
    require("group.view", group)
    viewer = signed_in_user()
    tag = request.args.get("tag", "").strip()[:30]
    kind = request.args.get("kind", "")
    kind = kind if kind in {k.value for k in Kind} else ""
    sort = "date" if request.args.get("sort") == "date" else ""
    listing = lists.group_documents(
        group, viewer, request.args.get("page", 1, type=int), tag=tag, kind=kind, sort=sort
    )
    return render_template(
        "documents/list.html",
        group=group,
        listing=listing,
        tag=tag,
        kind=kind,
        sort=sort,
        kinds=list(Kind),
        minutes=lists.meeting_minutes(group, viewer) if not (tag or kind) else [],
    )


@bp.route("/groups/<slug>/documents/new", methods=["GET", "POST"])
def new_document(slug: str):
    """Upload a document: its type is decided from its content, then it is stored."""
    group = group_or_404(slug)
    require("document.upload", group)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            document = services.upload_document(
                current_user, group, _data(form), upload.stream, upload.filename
            )
        except DocumentError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The document is in the docuthèque."), "success")
            return redirect(url_for("documents.show_document", document_id=document.id))
    status = form_status()
    return render_template("documents/new.html", group=group, form=form), status


@bp.route("/documents/<int:document_id>")
def show_document(document_id: int):
    """A document: what it is, who may see it, its versions."""
    document = _document(document_id)
    return _render_document(document)


def _render_document(document: Document, replace_form=None, status: int = 200):
    viewer = signed_in_user()
    editable = viewer is not None and can("document.replace", document, viewer)
    if replace_form is None and editable:
        replace_form = ReplaceForm(formdata=None)
    return render_template(
        "documents/show.html",
        document=document,
        group=document.group,
        versions=services.versions_of(document),
        replace_form=replace_form if editable else None,
        action_form=ActionForm(formdata=None) if viewer is not None else None,
    ), status


@bp.route("/documents/<int:document_id>/download")
def download(document_id: int):
    """The file (`?version=N` for an earlier one), streamed: never run by the browser."""
    document = _document(document_id)
    number = request.args.get("version", type=int)
    version = services.version_of(document, number)
    if version is None:
        abort(404)
    inline = Kind(version.kind) in INLINE_KINDS
    store = storage()
    if isinstance(store, LocalStorage):
        response = send_file(
            store.path(version.storage_key),
            mimetype=version.mimetype,
            as_attachment=not inline,
            download_name=version.filename,
            conditional=True,
            etag=version.sha256,
            max_age=0,
        )
    else:
        response = _streamed(store, version, inline)
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    # Whatever a browser makes of the file, nothing in it may run or reach anything.
    headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    headers["Cache-Control"] = "private, no-cache"
    return response


def _streamed(store, version, inline: bool):
    """A streamed response from object storage: chunks, never the whole file in memory."""
    from flask import Response

    from forum.documents.storage import content_disposition

    response = Response(
        store.chunks(version.storage_key),
        mimetype=version.mimetype,
        direct_passthrough=True,
    )
    response.content_length = version.size
    response.headers["Content-Disposition"] = content_disposition(version.filename, inline)
    response.set_etag(version.sha256)
    return response


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
def edit_document(document_id: int):
    """Change what is said about a document (not its file: see versions)."""
    document = _document(document_id, "document.edit")
    if request.method == "GET":
        form = DocumentForm(obj=document)
        form.tags.data = ", ".join(document.tag_list)
    else:
        form = DocumentForm()
    if form.validate_on_submit():
        try:
            services.edit_document(current_user, document, _data(form))
        except DocumentError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The document is saved."), "success")
            return redirect(url_for("documents.show_document", document_id=document.id))
    status = form_status()
    return render_template(
        "documents/edit.html", group=document.group, document=document, form=form
    ), status


@bp.route("/documents/<int:document_id>/versions", methods=["POST"])
def replace_file(document_id: int):
    """Send a new version of the file; the earlier ones stay downloadable."""
    document = _document(document_id, "document.replace")
    form = ReplaceForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            services.replace_file(current_user, document, upload.stream, upload.filename)
        except DocumentError as exc:
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The new version is in the docuthèque."), "success")
            return redirect(url_for("documents.show_document", document_id=document.id))
    return _render_document(document, form, status=400)


@bp.route("/documents/<int:document_id>/delete", methods=["POST"])
def delete_document(document_id: int):
    """Delete a document: coordinators can restore it for 30 days."""
    document = _document(document_id, "document.delete")
    if ActionForm().validate_on_submit():
        services.delete_document(current_user, document)
        db.session.commit()
        flash(_("The document is deleted. A coordinator can restore it for 30 days."), "info")
    return redirect(url_for("documents.list_documents", slug=document.group.slug))


@bp.route("/documents/<int:document_id>/restore", methods=["POST"])
def restore_document(document_id: int):
    """Bring a deleted document back (coordinators)."""
    document = _document(document_id, "document.restore")
    if ActionForm().validate_on_submit():
        services.restore_document(current_user, document)
        db.session.commit()
        flash(_("The document is restored."), "success")
    return redirect(url_for("documents.show_document", document_id=document.id))


@bp.route("/groups/<slug>/documents/deleted")
def deleted_documents(slug: str):
    """Deleted documents that coordinators can still restore."""
    group = group_or_404(slug)
    require("group.see_deleted_documents", group)
    return render_template(
        "documents/deleted.html",
        group=group,
        documents=lists.deleted_documents(group),
        action_form=ActionForm(formdata=None),
    )
