"""A small existing Flask site (its own home page and member login) with ticketcore's customer
portal mounted at /support and its agent portal at /support/agent.

    flask --app examples/flask_site run

Two kinds of people use the portal here, as on many real sites:

* the site's own members log in on the site's /login page; the `user_loader` hands them to
  ticketcore, which links each to a ticketcore account by `external_id` and email;
* everyone else registers or logs in with ticketcore's own accounts at /support/account/login;
  agents and admins log in there too and work in the agent portal at /support/agent.

Settings come from `TICKETCORE_*` environment variables (database, SMTP, …), as in production.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from ticketcore import Settings
from ticketcore_flask import HostUser, TicketCore

# The site's own members (a real site keeps them in its database).
MEMBERS = {
    "sam@members.example.org": ("Sam Member", generate_password_hash("member-password")),
}


def create_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)
    for name in Settings.model_fields:
        key = f"TICKETCORE_{name.upper()}"
        if key in os.environ:
            app.config[key] = os.environ[key]
    app.config.setdefault("TICKETCORE_SITE_NAME", "Example Co. Support")
    app.config.setdefault("TICKETCORE_SECRET_KEY", app.secret_key)

    ticketcore = TicketCore()

    @ticketcore.user_loader
    def current_member() -> HostUser | None:
        email = session.get("member")
        if email not in MEMBERS:
            return None
        return HostUser(external_id=f"member:{email}", email=email, display_name=MEMBERS[email][0])

    ticketcore.init_app(app)

    @app.before_request
    def check_csrf() -> None:
        # The site's own forms carry a token too (the portal checks its own).
        if request.method == "POST" and not request.path.startswith("/support"):
            sent = request.form.get("site_csrf", "")
            if not secrets.compare_digest(sent, session.get("site_csrf", "")) or not sent:
                abort(400, "This form has expired; reload the page.")

    @app.context_processor
    def csrf_field() -> dict[str, str]:
        if "site_csrf" not in session:
            session["site_csrf"] = secrets.token_urlsafe(32)
        return {"site_csrf": session["site_csrf"]}

    @app.get("/")
    def home() -> str:
        return render_template("home.html", member=session.get("member"))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> object:
        error = ""
        if request.method == "POST":
            email = request.form.get("email", "").strip().lower()
            member = MEMBERS.get(email)
            if member and check_password_hash(member[1], request.form.get("password", "")):
                session.clear()
                session["member"] = email
                session["site_csrf"] = secrets.token_urlsafe(32)
                flash("Welcome back!")
                return redirect(url_for("home"))
            error = "Email or password is wrong."
        return render_template("login.html", error=error, email=request.form.get("email", ""))

    @app.post("/logout")
    def logout() -> object:
        session.clear()
        return redirect(url_for("home"))

    return app


app = create_app()
