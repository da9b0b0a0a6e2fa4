"""The fixtures themselves: the example site answers in Chromium and its mail reaches the sink."""

from __future__ import annotations

import smtplib

from browsing import Site
from playwright.sync_api import Page, expect


def test_the_example_site_serves_its_home_page(page: Page, site: Site) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name="Example Co.")).to_be_visible()
    expect(page.get_by_role("link", name="support desk")).to_have_attribute("href", "/support/")


def test_mail_sent_over_smtp_reaches_the_sink(site: Site) -> None:
    with smtplib.SMTP("127.0.0.1", site.mail.port) as smtp:
        smtp.sendmail(
            "a@example.com", ["b@example.com"], b"To: b@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
        )
    assert site.mail.wait_for("b@example.com", "hi")["Subject"] == "hi"
