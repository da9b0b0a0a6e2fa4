"""Django adapter for ticketcore (mounts the portals into a Django project).

Only translation lives here: settings, request/response, identity, management commands.
The portals themselves are framework-neutral, in `ticketcore.web`. Not built yet.
"""
