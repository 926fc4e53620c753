import { Assets } from "../../src/app/assets.ts";
import { listUsers } from "../../src/auth/users.ts";
import { contactJson } from "../../src/contacts/contact-record.ts";
import { contactListParams, listContacts } from "../../src/contacts/list-contacts.ts";
import { encodeCursor } from "../../src/lists/cursor.ts";
import { allTags } from "../../src/tags/set-tags.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { CONTACT_VIEW } from "../../views/contacts/contact-view.ts";
import { recordListPage } from "../../views/records/record-list-page.ts";
import { recordResults } from "../../views/records/record-results.ts";
import { median } from "./wrk.ts";

export interface ListCosts {
  page1: { queryUs: number; renderUs: number; jsonUs: number };
  page2000: { queryUs: number; renderUs: number; jsonUs: number };
  /** The cursor of page 2,000 (newest first, 50 a page): what the benchmark requests. */
  page2000Cursor: string;
}

function timeUs(fn: () => unknown, iterations = 2000): number {
  for (let i = 0; i < 200; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    fn();
    samples.push((performance.now() - start) * 1000);
  }
  return Math.round(median(samples) * 10) / 10;
}

/**
 * The two halves of a list page's CPU, measured in-process on the same shard: the query
 * (keyset page of 50 with company, owner and tags) and the render (the whole HTML page), plus
 * the API's JSON serialization of the same rows.
 */
export function measureListCosts(dataDir: string, slug: string): ListCosts {
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir });
  const assets = new Assets();
  try {
    const tenant = catalog.findBySlug(slug);
    if (!tenant) throw new Error(`no tenant ${slug}`);
    const shard = shards.acquire(tenant);
    const deep = shard
      .statement(
        "SELECT created_at AS createdAt, id FROM contacts ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
      )
      .get(2000 * 50 - 50 - 1) as { createdAt: number; id: number };
    const page2000Cursor = encodeCursor({
      sort: "createdAt",
      order: "desc",
      direction: "after",
      key: [deep.createdAt, deep.id],
    });
    const measure = (cursor: string | undefined) => {
      const params = contactListParams.parse(cursor ? { cursor } : {});
      const page = listContacts(shard, params);
      const owners = listUsers(shard);
      const tags = allTags(shard);
      const row = { base: `/t/${slug}`, nonce: "bm9uY2Vub25jZW5vbmNl", canWrite: true };
      const results = () =>
        recordResults(CONTACT_VIEW, {
          page,
          total: 100_000,
          filtered: false,
          href: `/t/${slug}/contacts`,
          row,
        });
      const props = {
        row,
        ctx: {
          nonce: "bm9uY2Vub25jZW5vbmNl",
          csrfToken: "Y3NyZmNzcmZjc3JmY3NyZmNzcmZjc3JmY3NyZmNzcmY",
          assets: assets.urls,
          workspace: { slug, name: tenant.name },
          viewer: { name: "Bench", role: "owner" },
        },
        filters: {},
        owners,
        customFields: [],
        columns: { choices: [] },
        savedViews: {
          listHref: "/t/bench/contacts",
          viewsHref: "/t/bench/views",
          views: [],
          current: "?",
          viewerId: 1,
          isAdmin: true,
          csrfToken: "",
        },
        tags,
        newForm: { values: {}, errors: {} },
        extra: undefined,
      };
      return {
        queryUs: timeUs(() => listContacts(shard, params)),
        renderUs: timeUs(() => recordListPage(CONTACT_VIEW, { ...props, results: results() }).value),
        jsonUs: timeUs(() =>
          JSON.stringify({ data: page.rows.map(contactJson), nextCursor: page.nextCursor }),
        ),
      };
    };
    const result = { page1: measure(undefined), page2000: measure(page2000Cursor), page2000Cursor };
    shards.release(shard);
    return result;
  } finally {
    shards.closeAll();
    catalog.close();
  }
}
