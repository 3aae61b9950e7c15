// Progressive enhancement shared by every page. Everything here is optional: each form still
// works with its own submit button when scripts are off.

// Switching the language or the school applies at once; the buttons stay for keyboard users
// without scripts and are hidden here.
for (const id of ["language-select", "school-switch"]) {
  const select = document.getElementById(id);
  if (!select) continue;
  const button = select.form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
  select.addEventListener("change", () => select.form.requestSubmit());
}
