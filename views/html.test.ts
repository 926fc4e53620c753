import { describe, expect, it } from "bun:test";
import { html, join, trustedHtml } from "./html.ts";

describe("the html tag", () => {
  it("escapes every interpolated value", () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;</p>',
    );
  });

  it("does not escape what it rendered itself, nor trusted static strings, and drops empty values", () => {
    const inner = html`<b>${"<i>"}</b>`;
    expect(html`<p>${inner}${trustedHtml("<br>")}${null}${undefined}${false}${0}</p>`.value).toBe(
      "<p><b>&lt;i&gt;</b><br>0</p>",
    );
    expect(join(["<", html`<hr>`]).value).toBe("&lt;<hr>");
    expect(html`${["a", "<", inner]}`.value).toBe("a&lt;<b>&lt;i&gt;</b>");
  });

  it("embeds hono/jsx output as rendered HTML, and JSX accepts its output as-is", async () => {
    const { jsx } = await import("hono/jsx");
    const node = jsx("em", {}, "<x>");
    expect(html`<p>${node}</p>`.value).toBe("<p><em>&lt;x&gt;</em></p>");
    expect(String(jsx("div", {}, html`<hr>` as unknown as string))).toBe("<div><hr></div>");
  });
});
