"""The demo desk's stories: who asks what, how agents answer, and what they note internally.

Kept apart from `demo.py` so the loading logic stays short; these are texts, not rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Story:
    """One kind of request with its thread. Texts are `str.format`ted with `customer`/`agent`."""

    team: str
    subject: str
    body: str
    answer: str  # the agent's first reply (a fix to confirm or a question)
    followup: str  # the customer's answer
    resolution: str  # the agent's last word
    note: str  # an internal note between agents
    priority: str = "normal"
    template: str | None = None  # "bug", "feature", "question"
    fields: dict[str, Any] = field(default_factory=dict)
    attachment: tuple[str, bytes] | None = None


THANKS = "Thanks {customer}, glad that's sorted. I'm marking this resolved.\n\n{agent}"

# fmt: off
STORIES = [
    Story(
        "support", "Cannot log in after resetting my password",
        "I reset my password this morning and now the login page just says "
        "\"invalid credentials\". I've tried twice with a new reset link.",
        "Hi {customer}, reset links expire after the first use, so the second one may have "
        "replaced the first. Could you try the most recent link in a private browser window?"
        "\n\n{agent}",
        "That worked, I'm in. Thanks!", THANKS,
        "Third report this week of double reset links. Worth a word with the product team.",
        priority="high",
    ),
    Story(
        "support", "Export to CSV produces an empty file",
        "When I export the customer list to CSV the download has only the header row.",
        "Hi {customer}, thanks for the details. Does it happen with a filter applied, or also "
        "with the full list?\n\n{agent}",
        "Only with a filter. Without one the export is fine.",
        "Thanks {customer}: filtered exports were losing their rows. The fix is live, please "
        "try again.\n\n{agent}",
        "Reproduced on staging: the filter is dropped when the export job is queued.",
        priority="high", template="bug",
        fields={
            "steps": "1. Open Customers\n2. Filter by country = Germany\n3. Click Export > CSV",
            "expected": "A CSV with the 42 filtered customers",
            "actual": "A CSV with only the header row",
            "browser": "Firefox",
        },
        attachment=("export.csv", b"id,name,email,country\n"),
    ),
    Story(
        "support", "Dashboard loads very slowly since Monday",
        "Since Monday the dashboard takes 20-30 seconds to load. Other pages are fine.",
        "Hi {customer}, could you tell me roughly how many projects your account has, and "
        "whether the slow part is the chart or the whole page?\n\n{agent}",
        "About 300 projects. The whole page hangs, then everything appears at once.",
        "Thanks {customer}, we've added an index that brings the dashboard back under a "
        "second for large accounts. Let us know if it creeps up again.\n\n{agent}",
        "Slow query log shows the project summary doing a full scan for big accounts.",
        attachment=(
            "browser-console.log",
            b"[12:04:11] GET /api/dashboard/summary 200 (27812 ms)\n"
            b"[12:04:11] GET /api/dashboard/chart 200 (140 ms)\n",
        ),
    ),
    Story(
        "support", "How do I add a colleague to our account?",
        "We have a new team member. How can I give her access to our workspace?",
        "Hi {customer}, go to Settings > Members and click Invite. She'll get an email with a "
        "link to set her password.\n\n{agent}",
        "Found it, she's in now.", THANKS,
        "Might be worth a knowledge base article, this comes up often.",
        priority="low", template="question",
    ),
    Story(
        "support", "Email notifications are not arriving",
        "None of us has received a notification email since yesterday afternoon.",
        "Hi {customer}, our mail provider had delays yesterday. Could you check your spam "
        "folder and tell me if anything arrived in the last hour?\n\n{agent}",
        "Nothing in spam, but two arrived just now.",
        "The backlog has cleared, {customer}; all notifications have been delivered now."
        "\n\n{agent}",
        "Mail provider status page confirms a delivery incident 14:00-19:00 UTC.",
        priority="high",
    ),
    Story(
        "support", "Error 500 when uploading a profile picture",
        "Uploading a PNG as my profile picture gives \"Internal Server Error\".",
        "Hi {customer}, how large is the image? Files over 5 MB are refused, but the error "
        "should say so.\n\n{agent}",
        "It's 7 MB. A smaller one worked.",
        "Thanks {customer}: we now show a proper message for large images instead of the "
        "error page.\n\n{agent}",
        "The size check raises before the form handler catches it. Bug filed as WEB-412.",
        template="bug",
        fields={
            "steps": "1. Profile > Change picture\n2. Choose a 7 MB PNG\n3. Save",
            "expected": "The new picture, or a message that the file is too large",
            "actual": "Error 500",
            "browser": "Chrome",
        },
    ),
    Story(
        "support", "Please add a dark mode",
        "Our support team works night shifts and would love a dark theme.",
        "Hi {customer}, thanks for the suggestion! I've added your vote to the dark mode "
        "request; is it mainly the ticket list you look at at night?\n\n{agent}",
        "Yes, mostly the ticket list and the reply editor.",
        "Noted, {customer}. Dark mode is on the roadmap for next quarter; we'll write here "
        "when it ships.\n\n{agent}",
        "Twelve votes for dark mode now. Forwarded to product.",
        priority="low", template="feature",
        fields={
            "problem": "Bright screens are tiring on night shifts.",
            "solution": "A dark theme that follows the operating system setting.",
            "importance": "Important",
        },
    ),
    Story(
        "support", "Two-factor codes are rejected",
        "My authenticator app codes are rejected every time since I got a new phone.",
        "Hi {customer}, codes depend on the phone's clock. Could you check that automatic "
        "time is switched on?\n\n{agent}",
        "It was off. Switched it on and the code works now.", THANKS,
        "Customer verified by phone before we discussed the account.",
        priority="urgent",
    ),
    Story(
        "support", "Search does not find tickets by reference number",
        "Searching for a reference like ABC-123 returns nothing, though the ticket exists.",
        "Hi {customer}, does it work if you leave out the dash (ABC123)?\n\n{agent}",
        "Yes, without the dash it finds it.",
        "Thanks {customer}: search now ignores dashes in reference numbers.\n\n{agent}",
        "Tokenizer splits on dashes. Small fix, shipped with today's release.",
        template="bug",
        fields={
            "steps": "Type ABC-123 in the search box and press Enter",
            "expected": "The ticket ABC-123",
            "actual": "No results",
            "browser": "Safari",
        },
    ),
    Story(
        "support", "Question about API rate limits",
        "What are the rate limits of the REST API? We're planning a nightly sync.",
        "Hi {customer}, the limit is 600 requests per minute per token. For a nightly sync "
        "the bulk endpoints are the better fit. How many records do you expect?\n\n{agent}",
        "Around 20,000 records a night.",
        "That fits comfortably in the bulk endpoints, {customer}. The guide is in the API "
        "docs under Bulk operations.\n\n{agent}",
        "Potential upsell to the higher API tier if volumes grow.",
        priority="low", template="question",
    ),
    Story(
        "billing", "Charged twice for this month's invoice",
        "Our credit card statement shows two identical charges for this month's invoice.",
        "Hi {customer}, I'm sorry about that. Could you send the last four digits of the card "
        "so I can find both payments?\n\n{agent}",
        "It's the card ending 4242.",
        "Found it, {customer}: the second charge has been refunded and should appear within "
        "5 business days.\n\n{agent}",
        "Duplicate charge caused by a retry after a gateway timeout. Refund issued.",
        priority="high",
        attachment=(
            "statement-excerpt.txt",
            b"2026-03-01  SUPPORTDESK SUBSCRIPTION  EUR 249.00\n"
            b"2026-03-01  SUPPORTDESK SUBSCRIPTION  EUR 249.00\n",
        ),
    ),
    Story(
        "billing", "Please update the VAT number on our invoices",
        "Our VAT number changed. Could the next invoices show the new one?",
        "Hi {customer}, of course. Could you send the new VAT number and the date it applies "
        "from?\n\n{agent}",
        "New number DE 123 456 789, valid from the first of this month.",
        "Done, {customer}: this month's invoice has been reissued with the new number."
        "\n\n{agent}",
        "VAT number checked in VIES: valid.",
    ),
    Story(
        "billing", "Switching from monthly to annual billing",
        "How do we switch to annual billing, and is the discount applied right away?",
        "Hi {customer}, I can switch you today; the unused part of this month is credited. "
        "Shall I go ahead?\n\n{agent}",
        "Yes please, go ahead.",
        "Switched, {customer}. You'll receive the annual invoice with the 15% discount "
        "shortly.\n\n{agent}",
        "Annual switch done, credit note issued for the current month.",
        template="question",
    ),
    Story(
        "billing", "Card expired: how do I update it?",
        "We got a payment failure email. Our card expired last month.",
        "Hi {customer}, you can add the new card under Settings > Billing. The failed payment "
        "is retried automatically within a day.\n\n{agent}",
        "Updated. Will the service be interrupted meanwhile?",
        "No interruption, {customer}; the payment went through this morning.\n\n{agent}",
        "Grace period extended by 3 days just in case.",
    ),
    Story(
        "billing", "Refund for unused seats",
        "We reduced our team from 25 to 18 people. Can we get a refund for the unused seats?",
        "Hi {customer}, seats are billed monthly, so the reduction applies from the next "
        "invoice. Would a credit on the next invoice work for you?\n\n{agent}",
        "A credit is fine, thank you.",
        "Credit added, {customer}.\n\n{agent}",
        "Credit approved by finance (7 seats, prorated).",
    ),
    Story(
        "sales", "Quote for 50 additional seats",
        "We'd like to add 50 seats for our new office. Could you send a quote?",
        "Hi {customer}, happy to. Should the new seats share the current plan or go on the "
        "Enterprise plan with SSO?\n\n{agent}",
        "Same plan as now.",
        "The quote is on its way by email, {customer}; it is valid for 30 days.\n\n{agent}",
        "Volume discount tier 2 applies (50+ seats).",
        priority="high",
    ),
    Story(
        "sales", "Do you offer a discount for non-profits?",
        "We're a registered charity. Is there a non-profit price?",
        "Hi {customer}, yes: 50% off any plan. Could you send us your registration "
        "number?\n\n{agent}",
        "Our charity number is 1098765.",
        "Verified, {customer}: the discount is applied from your next invoice.\n\n{agent}",
        "Charity number checked in the public register.",
        template="question",
    ),
    Story(
        "sales", "Request a demo of the Enterprise plan",
        "We're evaluating help desks for 200 agents. Could we see a demo of Enterprise?",
        "Hi {customer}, gladly. Would Tuesday or Thursday afternoon next week suit you?"
        "\n\n{agent}",
        "Thursday at 14:00 works for us.",
        "Booked for Thursday 14:00, {customer}; the invitation is in your inbox.\n\n{agent}",
        "Big prospect. Loop in the solutions engineer for the demo.",
        priority="high",
    ),
    Story(
        "sales", "Single sign-on with Okta",
        "Does the product support SSO with Okta? It's a requirement for our security team.",
        "Hi {customer}, SAML SSO is available on Enterprise and Okta is supported. Would you "
        "like the setup guide?\n\n{agent}",
        "Yes please, and a note on SCIM provisioning if possible.",
        "Both guides are attached to your account page, {customer}.\n\n{agent}",
        "SCIM is in beta; don't promise dates.",
        template="feature",
        fields={
            "problem": "Our security policy requires central login and offboarding.",
            "solution": "SAML SSO with Okta and SCIM user provisioning.",
            "importance": "Critical",
        },
    ),
]

# Conversations staff start with a customer; `body` is the agent's opening message.
CONVERSATIONS = [
    Story(
        "support", "Follow-up on yesterday's outage",
        "Hi {customer}, we saw failed requests from your account during yesterday's outage. "
        "Everything should be back to normal; could you confirm on your side?\n\n{agent}",
        "", "All good here, thanks for checking in.",
        "Thanks for confirming, {customer}.\n\n{agent}",
        "Proactive outreach to every account that saw errors.",
    ),
    Story(
        "billing", "Your last invoice is overdue",
        "Hi {customer}, our records show last month's invoice is still open. Could you check "
        "with your accounts team?\n\n{agent}",
        "", "Sorry about that, it was paid this morning.",
        "Payment received, {customer}. Thank you!\n\n{agent}",
        "Second reminder; payment terms are 30 days.",
    ),
    Story(
        "sales", "Your subscription renews next month",
        "Hi {customer}, your subscription renews next month. Would you like to review the "
        "plan before then? There's a new tier that might suit you.\n\n{agent}",
        "", "Sure, send us the details.",
        "Details sent by email, {customer}.\n\n{agent}",
        "Renewal at risk? Usage dropped 20% last quarter.",
    ),
]

# fmt: on

IN_PROGRESS = (
    "Thanks {customer}, I can see the problem and have passed it on to the right people. "
    "I'll update you here.\n\n{agent}"
)
