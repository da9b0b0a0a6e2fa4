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
});
