"""The demo's knowledge base: a few categories and articles, so the demo site shows the
knowledge base, its search and the suggestions on the new-ticket page with something in them."""

from __future__ import annotations

from .helpdesk import Helpdesk
from .permissions import Actor

# name, parent (None: top level), description
CATEGORIES = [
    ("Your account", None, "Logging in, passwords and two-factor authentication"),
    ("Billing", None, "Invoices, payments and refunds"),
    ("Invoices", "billing", "Finding and correcting invoices"),
    ("Orders and delivery", None, "Tracking parcels, returns and damaged goods"),
]

# title, category slug, audience, status, tags, body
ARTICLES = [
    (
        "Resetting your password",
        "your-account",
        "public",
        "published",
        ["password", "login"],
        "Forgot your password? No problem.\n\n"
        "1. Open the **Log in** page and choose *Forgot your password?*\n"
        "2. Enter the email address of your account.\n"
        "3. Follow the link in the email within an hour.\n\n"
        "No email after a few minutes? Check your spam folder, then open a ticket.",
    ),
    (
        "Setting up two-factor authentication",
        "your-account",
        "public",
        "published",
        ["login", "security"],
        "Two-factor authentication asks for a code from an app on your phone when you log in.\n\n"
        "## Switch it on\n\n"
        "Open **Profile → Two-factor authentication**, scan the QR code with an app such as "
        "FreeOTP or Google Authenticator, and type the six-digit code it shows.\n\n"
        "## Lost your phone?\n\nOpen a ticket from another account or as a guest: we check "
        "who you are before we switch it off.",
    ),
    (
        "Downloading an invoice",
        "invoices",
        "customers",
        "published",
        ["invoice", "billing"],
        "Your invoices are under **Account → Billing → Invoices**. Choose *Download PDF* "
        "next to the month you need.\n\n"
        "| Plan | Invoice date |\n|---|---|\n| Monthly | 1st of the month |\n"
        "| Yearly | the day you signed up |",
    ),
    (
        "Correcting the address on an invoice",
        "invoices",
        "customers",
        "published",
        ["invoice", "address"],
        "Change the billing address under **Account → Billing**, then open a ticket with the "
        "invoice number: we issue a corrected invoice within two working days.",
    ),
    (
        "Refunds",
        "billing",
        "public",
        "published",
        ["refund", "billing"],
        "Refunds go back to the card you paid with within **14 days** of our confirmation. "
        "Banks may take another 3 to 5 working days to show them.",
    ),
    (
        "Tracking your order",
        "orders-and-delivery",
        "public",
        "published",
        ["delivery", "order"],
        "The email that confirms dispatch holds a tracking link. Parcels usually arrive "
        "within 3 working days in the country, 7 abroad.",
    ),
    (
        "My order arrived damaged",
        "orders-and-delivery",
        "public",
        "published",
        ["delivery", "damaged", "return"],
        "Sorry about that! Keep the packaging, take a photo of the damage and open a ticket "
        "with your order number and the photo attached: we send a replacement at once, no "
        "need to return the damaged item.",
    ),
    (
        "Returns in the holiday season",
        "orders-and-delivery",
        "public",
        "draft",
        ["return"],
        "Draft: the extended return period for orders placed from 15 November.",
    ),
]


def load_demo_articles(helpdesk: Helpdesk, author: Actor) -> int:
    """Create the demo categories and articles as `author`; returns how many articles."""
    kb = helpdesk.kb
    for name, parent, description in CATEGORIES:
        kb.categories.create(author, name=name, parent=parent, description=description)
    for title, category, audience, status, tags, body in ARTICLES:
        kb.articles.create(
            author,
            title=title,
            category=category,
            audience=audience,
            status=status,
            tags=tags,
            body=body,
        )
    return len(ARTICLES)
