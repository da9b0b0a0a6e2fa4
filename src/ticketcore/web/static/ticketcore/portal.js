// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before actions that cannot be taken back (buttons with data-confirm).
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
  // Quick reply on the ticket list: the form opens in place instead of below the table.
  document.querySelectorAll("details.tc-quick-reply").forEach((details) => {
    details.addEventListener("toggle", () => {
      if (details.open) details.querySelector("textarea")?.focus();
    });
  });
  // Knowledge-base articles for the subject being typed on the new-ticket page. Once shown,
  // the form says so (suggestions_seen), so sending it skips the no-script "check first" step.
  document.querySelectorAll("input[data-kb-suggest]").forEach((input) => {
    const box = document.getElementById(input.getAttribute("aria-controls"));
    const list = box?.querySelector("ul");
    if (!box || !list) return;
    let timer = 0;
    let asked = "";
    const show = (items) => {
      list.replaceChildren(...items.map((item) => {
        const link = document.createElement("a");
        link.href = item.url;
        link.textContent = item.title;
        const li = document.createElement("li");
        li.append(link);
        return li;
      }));
      box.hidden = items.length === 0;
      if (items.length && !input.form.querySelector("input[name=suggestions_seen]")) {
        const seen = document.createElement("input");
        seen.type = "hidden";
        seen.name = "suggestions_seen";
        seen.value = "1";
        input.form.append(seen);
      }
    };
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(async () => {
        const subject = input.value.trim();
        if (subject === asked) return;
        asked = subject;
        if (subject.length < 3) return show([]);
        const url = new URL(input.dataset.kbSuggest, window.location.href);
        url.searchParams.set("q", subject);
        try {
          const reply = await fetch(url, { headers: { Accept: "application/json" } });
          if (reply.ok && input.value.trim() === subject) show(await reply.json());
        } catch {
          // Offline or the server failed: the form still works, the articles come after sending.
        }
      }, 300);
    });
  });
  // The agent's "Insert knowledge base link": put the Markdown link where the cursor is.
  document.querySelectorAll("button[data-kb-insert]").forEach((button) => {
    const target = document.getElementById(button.dataset.kbTarget);
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const text = button.dataset.kbInsert;
      const start = target.selectionStart ?? target.value.length;
      const end = target.selectionEnd ?? start;
      target.setRangeText(text, start, end, "end");
      target.focus();
    });
  });
});
