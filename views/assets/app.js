// Loaded after htmx and hx-csp, with the page's CSP nonce. No inline script anywhere.

// Every htmx request carries the page's CSRF token; plain forms carry it as a hidden _csrf field.
document.addEventListener("htmx:config:request", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content");
  if (token) event.detail.ctx.request.headers["X-CSRF-Token"] = token;
});

// Links shown to be copied (invitations) are rendered as paths: the server never trusts the
// Host header to build URLs, but the browser knows the origin the user is actually on.
function prefixOrigins(root) {
  for (const input of root.querySelectorAll("input[data-prefix-origin]")) {
    input.value = location.origin + input.value;
    input.removeAttribute("data-prefix-origin");
  }
}

// A secret shown once is selected on focus, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.classList.contains("secret-value"))
    event.target.select();
});

if (document.readyState === "loading")
  document.addEventListener("DOMContentLoaded", () => prefixOrigins(document));
else prefixOrigins(document);
