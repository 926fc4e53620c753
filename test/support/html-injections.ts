/**
 * What a hostile string could put into rendered HTML, found with a real HTML tokenizer (Bun's
 * HTMLRewriter): elements it brought, event handlers or attributes it broke out into (quoted
 * or not), and script URLs in links, forms and htmx requests.
 */

/** Markup, both quotes around would-be handlers, a bare handler for unquoted attributes, an entity, a URL, control characters. */
export const MARKUP =
  '<script>alert(1)</script><xss-tag data-xss="1"></xss-tag>"onmouseover="alert(2)\' onfocus=\'alert(3) data-xss=1 onpointerover=alert(4) &amp;X1 https://example.com/a"b<c \u0000\u0001\u0002\u0003\u001b\u007f\u2028 end';
/** How MARKUP's start shows when escaped as text, and inside a query-encoded URL. */
export const SHOWN = "&lt;script&gt;alert(1)";
export const SHOWN_IN_URL = "%3Cscript%3Ealert(1)";
/** What a link built from user text must never start with. */
export const JS_URL = "javascript:alert(1)//";

const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "hx-get", "hx-post", "data-move-url"]);
const decode = (value: string) =>
  value
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);?/g, (_, dec) => String.fromCodePoint(Number(dec)))
    .replace(/&colon;/gi, ":")
    .replace(/&tab;|&newline;/gi, "");

/** What in the HTML a hostile string could have put there: elements, handlers, script URLs. */
export function injections(output: string): string[] {
  const found: string[] = [];
  new HTMLRewriter()
    .on("*", {
      element(el) {
        const tag = el.tagName.toLowerCase();
        if (tag === "script" && !el.getAttribute("src")?.startsWith("/assets/"))
          found.push("a <script> element");
        if (tag === "xss-tag" || tag === "img" || tag === "iframe") found.push(`a <${tag}> element`);
        for (const [name, value] of el.attributes) {
          if (name.startsWith("on")) found.push(`an ${name} attribute on <${tag}>`);
          if (name === "data-xss") found.push(`an attribute broken out of on <${tag}>`);
          if (
            URL_ATTRIBUTES.has(name) &&
            /^\s*(javascript|vbscript|data):/i.test(decode(value).replace(/[\s\0]/g, ""))
          ) {
            found.push(`${name}="${value}" on <${tag}>`);
          }
        }
      },
    })
    .transform(output);
  // An entity typed as text must come out escaped (`&amp;amp;X1`), or the page shows `&X1`.
  if (output.includes("&amp;X1")) found.push("an entity left unescaped");
  return found;
}
