"""Sign-up, sign-in, password reset and the account page."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from forum.accounts import bp, changes, services
from forum.accounts.forms import (
    AccountForm,
    DeleteAccountForm,
    EmailChangeForm,
    ForgotForm,
    HandleForm,
    LoginForm,
    PasswordChangeForm,
    RegisterForm,
    ResetForm,
)
from forum.extensions import db, limiter
from forum.forms import ActionForm
from forum.urls import safe_next


def _limit(key: str):
    return limiter.limit(lambda: current_app.config[key], methods=["POST"])


@bp.route("/auth/register", methods=["GET", "POST"])
@_limit("RATELIMIT_REGISTER")
def register():
    """Sign up; the verification link goes out by e-mail."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        services.register(
            form.email.data,
            form.display_name.data,
            form.password.data,
            locale=str(get_locale()),
        )
        db.session.commit()
        return redirect(url_for("accounts.register_sent"))
    return render_template("accounts/register.html", form=form)


@bp.route("/auth/register/sent")
def register_sent():
    """Tell the newcomer to open the mail; the same page whether the address was new or not."""
    return render_template("accounts/register_sent.html")


@bp.route("/auth/verify/<token>")
def verify(token: str):
    """Confirm the e-mail address from the mailed link."""
    try:
        user = services.verify_email(token)
    except services.TokenError as exc:
        return render_template("accounts/token_error.html", reason=exc.reason, kind="verify"), 400
    db.session.commit()
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("pages.index"))
    return redirect(url_for("accounts.login"))


@bp.route("/auth/resend", methods=["POST"])
@login_required
@_limit("RATELIMIT_FORGOT")
def resend_verification():
    """Send the verification link again."""
    form = ActionForm()
    if form.validate_on_submit() and not current_user.is_verified:
        services.queue_verification(current_user)
        db.session.commit()
        flash(_("We have sent the link again to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("accounts.settings"))


def _login_account_key() -> str:
    """The account a sign-in attempt is for: the typed address, normalised and hashed."""
    email = str(request.form.get("email", "")).strip().lower()
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()


def _login_failed(response) -> bool:
    return response.status_code == 200  # the form shown again; a sign-in redirects


@bp.route("/auth/login", methods=["GET", "POST"])
@_limit("RATELIMIT_LOGIN")
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    """Sign in with e-mail and password."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("pages.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("This e-mail address and password do not match."))
        else:
            session.clear()  # a fresh session: nothing from before the sign-in carries over
            services.start_session(
                user, remember=form.remember.data, user_agent=request.headers.get("User-Agent")
            )
            login_user(user, remember=form.remember.data)
            db.session.commit()
            if not user.is_verified:
                flash(
                    _("Welcome. Confirm your e-mail address to post: the link is in your mail."),
                    "info",
                )
            return redirect(next_url or url_for("pages.index"))
    return render_template("accounts/login.html", form=form, next_url=next_url)


@bp.route("/auth/logout", methods=["POST"])
def logout():
    """Sign out (POST only, with a CSRF token)."""
    form = ActionForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.end_session(current_user)
            db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("pages.index"))


@bp.route("/auth/forgot", methods=["GET", "POST"])
@_limit("RATELIMIT_FORGOT")
def forgot():
    """Ask for a reset link; the answer does not say whether the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/forgot_sent.html", email=form.email.data)
    return render_template("accounts/forgot.html", form=form)


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password from the mailed link."""
    try:
        services.user_for_reset_token(token)
    except services.TokenError as exc:
        return render_template("accounts/token_error.html", reason=exc.reason, kind="reset"), 400
    form = ResetForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Your password is changed. Sign in with it now."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token)


@bp.route("/account/", methods=["GET", "POST"])
@login_required
def settings():
    """The account page: display name, language and notification e-mails."""
    form = AccountForm(obj=current_user)
    if request.method == "GET" and not current_user.locale:
        form.locale.data = str(get_locale())
    if form.validate_on_submit():
        services.update_account(
            current_user,
            display_name=form.display_name.data,
            locale=form.locale.data,
            notify_email=form.notify_email.data,
        )
        db.session.commit()
        flash(_("Your account is updated."), "success")
        return redirect(url_for("accounts.settings"))
    return render_template(
        "accounts/settings.html", form=form, delete_form=DeleteAccountForm(formdata=None)
    )


@bp.route("/account/export.json")
@login_required
def export():
    """Everything the site holds about the signed-in user."""
    response = jsonify(services.export_account(current_user))
    response.headers["Content-Disposition"] = "attachment; filename=mon-compte.json"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["POST"])
@login_required
def delete():
    """Delete the account after the password is confirmed."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if services.delete_account(current_user, form.password.data):
            db.session.commit()
            logout_user()
            session.clear()
            flash(
                _("Your account is deleted. Your messages stay, signed “deleted account”."), "info"
            )
            return redirect(url_for("pages.index"))
        form.password.errors.append(_("This password is not right."))
    return render_template(
        "accounts/settings.html", form=AccountForm(obj=current_user), delete_form=form
    ), 400


# --- Changes to one's own account (forum/accounts/changes.py) -------------------------


def _change_failed(response) -> bool:
    return response.status_code != 302  # a change redirects; a refusal shows the form


def _account_change_key() -> str:
    """The account a change is for (the limiter may ask before login_required answers)."""
    return f"account-change:{getattr(current_user, 'id', None) or request.remote_addr}"


def _limit_change(key: str):
    """Like sign-in: per address, and per account for the wrong passwords."""
    return limiter.limit(
        lambda: current_app.config[key],
        key_func=_account_change_key,
        methods=["POST"],
        deduct_when=_change_failed,
    )


def _change_page(form, template: str, change: Callable[[], tuple[str, str]], **context):
    """The one shape of the account's change pages: on a valid post, `change()` runs the
    change and returns what to flash (message, category); then commit and back to the
    settings. A refused change (ChangeError) shows the form again with the words on the
    field they concern, as typed, with 400."""
    if form.validate_on_submit():
        try:
            message, category = change()
        except changes.ChangeError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            db.session.commit()
            flash(message, category)
            return redirect(url_for("accounts.settings"))
    return render_template(template, form=form, **context), 200 if not form.errors else 400


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@_limit("RATELIMIT_LOGIN")
@_limit_change("RATELIMIT_LOGIN_ACCOUNT")
def password():
    """Change the password (the current one asked); the other sign-ins end."""
    form = PasswordChangeForm()

    def change() -> tuple[str, str]:
        changes.change_password(current_user, form.current_password.data, form.password.data)
        return _("Your password is changed. Your other devices are signed out."), "success"

    return _change_page(form, "accounts/password.html", change)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@_limit("RATELIMIT_LOGIN")
@_limit_change("RATELIMIT_LOGIN_ACCOUNT")
def email():
    """Change the e-mail address: a link goes to the new one, the old one is told."""
    form = EmailChangeForm()

    def change() -> tuple[str, str]:
        changes.request_email_change(current_user, form.current_password.data, form.email.data)
        return _(
            "We have sent a link to %(email)s. Your address changes once you open it.",
            email=form.email.data.strip().lower(),
        ), "info"

    return _change_page(form, "accounts/email.html", change)


@bp.route("/account/email/confirm/<token>")
def confirm_email_change(token: str):
    """Apply an e-mail change from the link mailed to the new address."""
    try:
        changes.confirm_email_change(token)
    except services.TokenError as exc:
        db.session.rollback()
        return render_template("accounts/token_error.html", reason=exc.reason, kind="email"), 400
    db.session.commit()
    flash(_("Your e-mail address is changed."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.settings"))
    return redirect(url_for("accounts.login"))


@bp.route("/account/handle", methods=["GET", "POST"])
@login_required
def handle():
    """Change the @handle, at most once a month; old mentions still lead to the profile."""
    form = HandleForm()
    if request.method == "GET":
        form.username.data = current_user.username

    def change() -> tuple[str, str]:
        changes.change_handle(current_user, form.username.data)
        return _("Your handle is now @%(handle)s.", handle=current_user.username), "success"

    return _change_page(
        form, "accounts/handle.html", change, next_change=changes.next_handle_change(current_user)
    )


@bp.route("/account/following")
@login_required
def following():
    """What the member follows (threads, groups), each with a button to stop."""
    from forum.notifications import services as notifications

    return render_template(
        "accounts/following.html",
        threads=notifications.followed_threads(current_user),
        groups=notifications.followed_groups(current_user),
    )
