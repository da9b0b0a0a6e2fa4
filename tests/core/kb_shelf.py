"""A small knowledge base for the tests in this folder: two top categories, a subcategory, and
articles in every status and audience. Importable by name (conftest is not)."""

from __future__ import annotations

from types import SimpleNamespace

from ticketcore import Helpdesk


def build_shelf(helpdesk: Helpdesk, cast: SimpleNamespace) -> SimpleNamespace:
    """Categories `printing` and `billing` (with subcategory `invoices`), and articles:

    * `setup`: published, public, in printing, tagged printer/setup;
    * `jams`: published, public, in printing, tagged printer;
    * `refunds`: published, customers only, in billing, tagged money;
    * `invoice`: published, public, in invoices (below billing), tagged money;
    * `draft`: a draft in printing; `old`: archived, in printing.
    """
    kb, ann = helpdesk.kb, cast.ann_actor
    ns = SimpleNamespace(kb=kb)
    ns.printing = kb.categories.create(ann, name="Printing", description="Printers and paper")
    ns.billing = kb.categories.create(ann, name="Billing", position=-1)
    ns.invoices = kb.categories.create(ann, name="Invoices", parent="billing")

    def article(**fields: object) -> object:
        return kb.articles.create(ann, status="published", **fields)

    ns.setup = article(
        title="Printer setup",
        body="Install the driver, then plug the cable in.",
        category="printing",
        tags=["printer", "setup"],
    )
    ns.jams = article(
        title="Paper jams",
        body="Open the tray and remove the paper gently. A printer jams when the paper is damp.",
        category="printing",
        tags=["printer"],
    )
    ns.refunds = article(
        title="Refunds",
        body="Refunds are paid within 14 days.",
        category="billing",
        audience="customers",
        tags=["money"],
    )
    ns.invoice = article(
        title="Downloading an invoice",
        body="Invoices are under Account, then Billing.",
        category="invoices",
        tags=["money"],
    )
    ns.draft = kb.articles.create(
        ann, title="Printer firmware (draft)", body="Not ready", category="printing"
    )
    ns.old = article(title="Fax machines", body="We no longer support fax.", category="printing")
    ns.old = kb.articles.archive(ann, ns.old.id)
    return ns
