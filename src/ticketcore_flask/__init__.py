"""Flask adapter for ticketcore (mounts the portals into a Flask app).

Only translation lives here: configuration, request/response, identity and the CLI group.
The portals themselves are framework-neutral, in `ticketcore.web`. Not built yet.
"""
