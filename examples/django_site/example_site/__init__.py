"""A small existing Django site (its own home page and member login) with ticketcore's customer
portal mounted at /support/ and its agent portal at /support/agent, the twin of
examples/flask_site.

    python examples/django_site/manage.py migrate     (Django's tables and ticketcore's)
    DJANGO_DEBUG=1 python examples/django_site/manage.py runserver

(debug mode, in which `runserver` serves the portal's stylesheet too).

Two kinds of people use the portal here, as on many real sites:

* the site's own Django users log in on the site's /login/ page (Django's `LoginView`); the
  portal knows them by `request.user` and links each to a ticketcore account by their user id
  and email. Members are customers; Django staff are agents and superusers admins, so
  `manage.py createsuperuser` (with the email address as the username) makes someone who can
  run the desk;
* everyone else registers or logs in with ticketcore's own accounts at
  /support/account/login (`TICKETCORE["OWN_ACCOUNTS"]`), among them the demo logins printed by
  `manage.py ticketcore demo-data`; agents and admins log in there too and work in the agent
  portal at /support/agent.

Settings come from environment variables, as in production: see `settings.py`.
"""
