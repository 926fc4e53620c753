import { createApiKey } from "../../src/auth/api-keys.ts";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { insertUser } from "../../src/auth/insert-user.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import type { Role } from "../../src/identity/roles.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { BrowserClient } from "./browser-client.ts";

export const PASSWORD = "correct horse battery";

/** argon2id with test-sized memory: the code path is the real one, only cheaper. */
export const testHasher = () =>
  new PasswordHasher({ concurrency: 2, maxWaiting: 1000, memoryCostKiB: 4096, timeCost: 1 });

/**
 * Direct access to a data directory from the test process (the server may be running on it
 * too: SQLite in WAL mode lets both work), for arranging state quickly.
 */
export class DataDir {
  readonly catalog: Catalog;
  readonly shards: ShardManager;
  private readonly hasher = testHasher();

  constructor(readonly path: string) {
    this.catalog = Catalog.open(path);
    this.shards = new ShardManager({ dataDir: path, maxOpen: 8 });
  }

  async tenant(slug: string, ownerEmail = `owner@${slug}.test`): Promise<Tenant> {
    const { tenant } = await createTenant(this.catalog, this.hasher, {
      slug,
      name: `${slug} Ltd`,
      ownerName: "Owner",
      ownerEmail,
      ownerPassword: PASSWORD,
    });
    return tenant;
  }

  async user(slug: string, email: string, role: Role): Promise<void> {
    const passwordHash = await this.hasher.hash(PASSWORD);
    await this.shards.use(this.get(slug), (shard) =>
      insertUser(shard.db, { email, name: email.split("@")[0] ?? email, passwordHash, role }),
    );
  }

  async apiKey(slug: string, role: Role = "member"): Promise<string> {
    return await this.shards.use(
      this.get(slug),
      (shard) => createApiKey(shard, { name: "test", role, createdBy: null }).key,
    );
  }

  get(slug: string): Tenant {
    const tenant = this.catalog.findBySlug(slug);
    if (!tenant) throw new Error(`no tenant ${slug}`);
    return tenant;
  }

  close(): void {
    this.shards.closeAll();
    this.catalog.close();
  }
}

/** Signs in through the real login form and returns the client holding the session. */
export async function signIn(
  base: string,
  slug: string,
  email: string,
  password = PASSWORD,
): Promise<BrowserClient> {
  const client = new BrowserClient(base);
  await client.get(`/t/${slug}/login`);
  const response = await client.post(`/t/${slug}/login`, { email, password, next: "" });
  if (response.status !== 303) throw new Error(`sign-in failed for ${email}: ${response.status}`);
  await client.get(`/t/${slug}/contacts`);
  return client;
}

/** JSON API calls with a bearer key. */
export function api(base: string, key: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field by the tests
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  };
}
