"""The console's routes: sign-in, registrations and deployments, tool URLs and keys."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import auth, operations, security
from app.admin.operations import AdminError
from app.audit import Actor
from app.extensions import db
from app.models import RegistrationStatus
from app.openbadges import issuers
from app.openbadges.errors import OperationError
from app.registrations import operations as registrations
from app.registrations import queries
from app.registrations.operations import RegistrationError, RegistrationInput
from lti.tool_urls import tool_urls

bp = auth.console_blueprint("admin", "/admin")


def _safe_next(target: str | None) -> str:
    # Only back into the console: never an open redirect to another site.
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.index")


def _throttled(exc: security.Throttled) -> str:
    return (
        f"Too many failed attempts. Wait {exc.seconds} seconds before trying again; "
        "each further failure doubles the wait."
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        try:
            user = operations.authenticate(
                request.form.get("email", ""),
                request.form.get("password", ""),
                request.remote_addr or "",
            )
        except security.Throttled as exc:
            error, status = _throttled(exc), 429
        else:
            if user is not None:
                if auth.sign_in(user):
                    return redirect(_safe_next(request.args.get("next")))
                return redirect(url_for("admin.second_factor", next=request.args.get("next")))
            error, status = "The email or password is not right.", 401
    return render_template(
        "admin/login.html", error=error, email=request.form.get("email", "")
    ), status


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_factor():
    """The second step of signing in: a code from the authenticator app or a recovery code."""
    row = auth.pending_session()
    if row is None:
        return redirect(url_for("admin.login"))
    error, status = None, 200
    if request.method == "POST":
        try:
            if security.complete_second_factor(row, request.form.get("code", "")):
                return redirect(_safe_next(request.args.get("next")))
            error, status = "That code is not right (or was used already).", 401
        except security.Throttled as exc:
            error, status = _throttled(exc), 429
    return render_template("admin/second_factor.html", error=error), status


@bp.route("/account", methods=["GET", "POST"])
@auth.admin_required
def account():
    """The signed-in admin's second factor: enrol (secret, then a code), or turn it off."""
    user, error, enrolment, codes = g.admin_user, None, None, None
    action = request.form.get("action")
    if action == "start":
        enrolment = security.new_enrolment(user)
    elif action == "confirm":
        secret = request.form.get("secret", "")
        try:
            codes = security.enable_totp(user, secret, request.form.get("code", ""))
        except ValueError as exc:
            error = str(exc)
            enrolment = security.Enrolment(secret, request.form.get("uri", ""))
    elif action == "disable":
        if security.check_second_factor(user, request.form.get("code", "")):
            security.disable_totp(user)
            auth.flash(_("Two-step sign-in is off."))
            return redirect(url_for("admin.account"))
        error = "That code is not right (or was used already)."
    return render_template(
        "admin/account.html",
        enrolment=enrolment,
        codes=codes,
        error=error,
        notice=auth.take_notice(),
    ), 400 if error else 200


@bp.post("/logout")
def logout():
    auth.sign_out()
    return redirect(url_for("admin.login"))


@bp.get("/")
@auth.admin_required
def index():
    return render_template(
        "admin/index.html",
        urls=tool_urls(),
        registrations=queries.registration_summaries(),
        notice=auth.take_notice(),
    )


def _input_from_form() -> RegistrationInput:
    form = request.form
    return RegistrationInput(
        name=form.get("name", ""),
        issuer=form.get("issuer", ""),
        client_id=form.get("client_id", ""),
        auth_login_url=form.get("auth_login_url", ""),
        auth_token_url=form.get("auth_token_url", ""),
        key_set_url=form.get("key_set_url", ""),
        auth_audience=form.get("auth_audience", ""),
        deployment_id=form.get("deployment_id", ""),
        adopt_deployments=form.get("adopt_deployments") == "on",
        institution_admins_are_staff=form.get("institution_admins_are_staff") == "on",
    )


@bp.route("/registrations/new", methods=["GET", "POST"])
@auth.admin_required
def new_registration():
    error = None
    if request.method == "POST":
        try:
            row = registrations.create_registration(_input_from_form(), Actor.from_request())
        except RegistrationError as exc:
            error = str(exc)
        else:
            auth.flash(_("Registration %(name)s added and active.", name=row.name))
            return redirect(url_for("admin.registration", public_id=row.public_id))
    return render_template(
        "admin/registration.html",
        row=None,
        source=None,
        form=request.form,
        error=error,
        urls=tool_urls(),
        notice=None,
    ), 422 if error else 200


@bp.route("/registrations/<public_id>", methods=["GET", "POST"])
@auth.admin_required
def registration(public_id: str):
    row = auth.console_registration(public_id)
    error = None
    if request.method == "POST":
        try:
            registrations.update_registration(row, _input_from_form(), Actor.from_request())
        except RegistrationError as exc:
            error = str(exc)
        else:
            auth.flash(_("Registration saved."))
            return redirect(url_for("admin.registration", public_id=row.public_id))
    return render_template(
        "admin/registration.html",
        row=row,
        source=registrations.source_of(row),
        change=queries.pending_change_of(row),
        issuers=queries.issuer_profiles(row),
        form=request.form if error else None,
        error=error,
        urls=tool_urls(),
        notice=auth.take_notice(),
    ), 422 if error else 200


@bp.post("/registrations/<public_id>/status")
@auth.admin_required
def registration_status(public_id: str):
    row = auth.console_registration(public_id)
    status = request.form.get("status", "")
    try:
        registrations.set_registration_status(row.public_id, status, Actor.from_request())
    except RegistrationError as exc:
        auth.flash(str(exc))
    else:
        auth.flash(_("%(name)s is now %(status)s.", name=row.name, status=_status_word(status)))
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/registrations/<public_id>/changes/<change_id>")
@auth.admin_required
def registration_change(public_id: str, change_id: str):
    row = auth.console_registration(public_id)
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject"):
        auth.flash(_("Choose to approve or reject the change."))
    else:
        try:
            registrations.decide_registration_change(
                row, change_id, decision == "approve", Actor.from_request()
            )
        except RegistrationError as exc:
            auth.flash(str(exc))
        else:
            auth.flash(
                "Change approved: the registration uses the new details."
                if decision == "approve"
                else "Change rejected: nothing was changed."
            )
    return redirect(url_for("admin.registration", public_id=row.public_id))


@bp.post("/registrations/<public_id>/issuer")
@auth.admin_required
def issuer_profile(public_id: str):
    """Create or change the institution's issuer profile, or a course's override of it."""
    row = auth.console_registration(public_id)
    context_id = None
    if request.form.get("course"):
        context = queries.course_of(row, request.form["course"])
        if context is None:
            abort(404)
        context_id = context.id
    fields = {name: request.form.get(name, "") for name in issuers.ISSUER_FIELDS}
    try:
        issuer = issuers.save_issuer_profile(row.id, context_id, **fields)
    except OperationError as exc:
        db.session.rollback()
        auth.flash(_("Issuer profile not saved: %(exc)s.", exc=exc))
    else:
        auth.flash(_("Issuer profile saved: new awards name %(name)s.", name=issuer.name))
    return redirect(url_for("admin.registration", public_id=row.public_id) + "#issuer-title")


@bp.post("/registrations/<public_id>/deployments")
@auth.admin_required
def add_deployment(public_id: str):
    row = auth.console_registration(public_id)
    try:
        deployment = registrations.add_deployment(
            row, request.form.get("deployment_id", ""), Actor.from_request()
        )
    except RegistrationError as exc:
        auth.flash(str(exc))
    else:
        auth.flash(_("Deployment %(deployment_id)s added.", deployment_id=deployment.deployment_id))
    return redirect(url_for("admin.registration", public_id=row.public_id))


@bp.post("/registrations/<public_id>/deployments/<int:deployment>/status")
@auth.admin_required
def deployment_status(public_id: str, deployment: int):
    row = auth.console_registration(public_id)
    status = request.form.get("status", "")
    try:
        changed = registrations.set_deployment_status(row, deployment, status, Actor.from_request())
    except RegistrationError as exc:
        auth.flash(str(exc))
    else:
        auth.flash(
            _(
                "Deployment %(deployment_id)s is now %(status)s.",
                deployment_id=changed.deployment_id,
                status=_status_word(status),
            )
        )
    return redirect(url_for("admin.registration", public_id=row.public_id))


@bp.get("/keys")
@auth.admin_required
def tool_keys():
    return render_template(
        "admin/keys.html", keys=operations.tool_keys(), urls=tool_urls(), notice=auth.take_notice()
    )


@bp.post("/keys/rotate")
@auth.admin_required
def rotate_keys():
    try:
        key = operations.rotate_keys(int(request.form.get("overlap_days", "7") or 7))
    except (AdminError, ValueError) as exc:
        auth.flash(str(exc) if isinstance(exc, AdminError) else _("The overlap must be a number."))
    else:
        auth.flash(
            _(
                "New signing key %(kid)s; the previous key stays published during the overlap.",
                kid=key.kid,
            )
        )
    return redirect(url_for("admin.tool_keys"))


def _status_word(status: str) -> str:
    return {
        RegistrationStatus.ACTIVE: "active (approved)",
        RegistrationStatus.DISABLED: "disabled",
    }.get(status, status)
