import {
  browserValidationProblems,
  type FormControl,
  type FormFill,
  fillForm,
  formEntries,
  type HtmlForm,
  isSubmit,
  parseForms,
} from "./html-forms.ts";

/**
 * An HTTP client that behaves like a browser for our purposes: it keeps cookies (by name
 * and path), follows nothing automatically, and finds CSRF tokens in the pages it reads.
 */
export class BrowserClient {
  private readonly cookies = new Map<string, { value: string; path: string }>();
  /** The CSRF token from the last page read (hidden _csrf field or csrf-token meta tag). */
  csrfToken = "";

  constructor(readonly base: string) {}

  private cookieHeader(path: string): string {
    return [...this.cookies.entries()]
      .filter(
        ([, c]) =>
          path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`) || c.path === "/",
      )
      .map(([name, c]) => `${name.split("|")[0]}=${c.value}`)
      .join("; ");
  }

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";").map((p) => p.trim());
      const [name, ...rest] = (pair ?? "").split("=");
      const value = rest.join("=");
      const path = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      const key = `${name}|${path}`;
      const expired = attributes.some((a) => /^max-age=0$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { value, path });
    }
  }

  cookie(name: string): string | undefined {
    for (const [key, c] of this.cookies) if (key.split("|")[0] === name) return c.value;
    return undefined;
  }

  setCookie(name: string, value: string, path = "/"): void {
    this.cookies.set(`${name}|${path}`, { value, path });
  }

  async request(
    method: string,
    path: string,
    init: { body?: BodyInit; headers?: Record<string, string> } = {},
  ) {
    const response = await fetch(this.base + path, {
      method,
      redirect: "manual",
      body: init.body,
      headers: { cookie: this.cookieHeader(path.split("?")[0] ?? path), ...init.headers },
    });
    this.remember(response);
    const text = await response.text();
    const token =
      /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ??
      /<meta name="csrf-token" content="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrfToken = token;
    return { status: response.status, headers: response.headers, text };
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.request("GET", path, { headers });
  }

  /** Posts a form with the current CSRF token (unless the fields set `_csrf` themselves). */
  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const body = new URLSearchParams({ _csrf: this.csrfToken, ...fields });
    return this.request("POST", path, {
      body,
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  /** An htmx request: HX-Request header and the CSRF token in X-CSRF-Token, as app.js sends it. */
  htmx(method: string, path: string, fields?: Record<string, string>) {
    const headers: Record<string, string> = { "hx-request": "true", "x-csrf-token": this.csrfToken };
    if (!fields) return this.request(method, path, { headers });
    return this.request(method, path, {
      body: new URLSearchParams(fields),
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
    });
  }

  /** Posts exactly `body`, url-encoded: no CSRF token is added (what a page's form really carries, or less). */
  postRaw(path: string, body: URLSearchParams | [string, string][], headers: Record<string, string> = {}) {
    return this.request("POST", path, {
      body: body instanceof URLSearchParams ? body : new URLSearchParams(body),
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  /** The forms of a page this client read (`pageUrl` resolves their relative actions). */
  forms(html: string): HtmlForm[] {
    return parseForms(html);
  }

  /**
   * Submits `form` as a browser without JavaScript does: `fill` is what the person typed or
   * picked, `submitter` the button pressed (its text or a predicate; the first submit button
   * by default), and what is sent is the form's own entries, hidden fields included, nothing
   * added. `without` drops named entries (to send a form missing, say, its `_csrf`). Throws
   * when the browser's own checks would stop the submission.
   */
  submit(
    form: HtmlForm,
    options: {
      fill?: FormFill;
      submitter?: string | ((button: FormControl) => boolean);
      without?: string[];
      pageUrl?: string;
    } = {},
  ) {
    const filled = fillForm(form, options.fill ?? {});
    const problems = browserValidationProblems(filled);
    if (problems.length)
      throw new Error(`the browser would not submit ${form.action}: ${problems.join("; ")}`);
    const buttons = filled.controls.filter(isSubmit);
    const wanted = options.submitter;
    const submitter =
      wanted === undefined
        ? buttons[0]
        : buttons.find((b) =>
            typeof wanted === "string" ? b.label === wanted || b.value === wanted : wanted(b),
          );
    if (wanted !== undefined && !submitter) throw new Error(`${form.action} has no button ${String(wanted)}`);
    const entries = formEntries(filled, submitter).filter(([name]) => !options.without?.includes(name));
    const action = submitter?.attributes.formaction ?? filled.action;
    const target = new URL(action || options.pageUrl || "/", new URL(options.pageUrl ?? "/", this.base));
    const path = target.pathname + target.search;
    if (form.method === "get") {
      const url = new URL(target);
      url.search = new URLSearchParams(entries).toString();
      return this.get(url.pathname + url.search);
    }
    return this.postRaw(path, entries);
  }
}
