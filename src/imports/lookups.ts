import { listPipelines, type PipelineWithStages } from "../pipelines/pipelines.ts";
import type { Shard } from "../tenancy/shard.ts";

/** A company the import will create when it runs (the dry run counts it; nothing is written). */
export const NEW_COMPANY = -1;

/** Contacts' emails held in memory for matching, at most (~30 MB); more are looked up through their index. */
const EMAIL_MAP_MAX = 250_000;

/**
 * A key of its own: a cell is a slice of the text it was read from, and a slice kept in a map
 * would keep that whole piece of the file alive. Concatenating, then slicing, makes a copy.
 */
const lower = (text: string) => ` ${text.trim().toLowerCase()}`.slice(1);

/**
 * What an import looks records up by, read once per task from the workspace: users by email
 * and name, companies by name and domain, deals by title and company (these have no index
 * that a case-blind lookup could use), pipelines and stages by name. Contacts are looked up by
 * email and name through their indexes instead: there can be millions. Records the import
 * creates are added as it goes, so a later row finds them.
 */
export class Lookups {
  private users?: Map<string, number | "ambiguous">;
  private companiesByName?: Map<string, number>;
  private companiesByDomain?: Map<string, number>;
  private dealsByKey?: Map<string, number[]>;
  /** Rows of the file so far by deal title and company. */
  private readonly dealRows = new Map<string, number>();
  private pipelines?: PipelineWithStages[];
  /** The workspace's contacts by email (the oldest for each), or null: looked up one by one. */
  private emails?: Map<string, number> | null;
  /** PRAGMA data_version when `emails` was read: another connection's commit since makes it stale. */
  private emailsVersion = 0;
  /** Whether the version was compared in this synchronous run (a chunk's transaction). */
  private emailsChecked = false;

  constructor(private readonly shard: Shard) {}

  /** A user by email or name (case-blind); "ambiguous" when two share the name. */
  user(text: string): number | "ambiguous" | undefined {
    if (!this.users) {
      this.users = new Map();
      const rows = this.shard.statement("SELECT id, name, email FROM users ORDER BY id").all() as {
        id: number;
        name: string;
        email: string;
      }[];
      for (const row of rows) {
        this.users.set(lower(row.email), row.id);
        const name = lower(row.name);
        const other = this.users.get(name);
        this.users.set(name, other === undefined || other === row.id ? row.id : "ambiguous");
      }
    }
    return this.users.get(lower(text));
  }

  private loadCompanies(): void {
    if (this.companiesByName) return;
    this.companiesByName = new Map();
    this.companiesByDomain = new Map();
    for (const row of this.shard
      .statement("SELECT id, name, domain FROM companies ORDER BY id")
      .iterate() as IterableIterator<{ id: number; name: string; domain: string | null }>) {
      const name = lower(row.name);
      if (!this.companiesByName.has(name)) this.companiesByName.set(name, row.id);
      if (row.domain && !this.companiesByDomain.has(row.domain))
        this.companiesByDomain.set(row.domain, row.id);
    }
  }

  /** The oldest company called `name` (ignoring case), NEW_COMPANY if this import will create it, or undefined. */
  companyByName(name: string): number | undefined {
    this.loadCompanies();
    return this.companiesByName?.get(lower(name));
  }

  companyByDomain(domain: string): number | undefined {
    this.loadCompanies();
    return this.companiesByDomain?.get(domain);
  }

  /** A company this import made (or, in a dry run, will make: NEW_COMPANY). */
  addCompany(id: number, name: string, domain: string | null = null): void {
    this.loadCompanies();
    const key = lower(name);
    if (!this.companiesByName?.has(key) || this.companiesByName.get(key) === NEW_COMPANY)
      this.companiesByName?.set(key, id);
    if (
      domain &&
      (!this.companiesByDomain?.has(domain) || this.companiesByDomain.get(domain) === NEW_COMPANY)
    )
      this.companiesByDomain?.set(domain, id);
  }

  private dealKey(title: string, companyId: number | null): string {
    return `${lower(title)}\u0000${companyId ?? ""}`;
  }

  /**
   * The deal a file's row with this title (ignoring case) and company (or none) updates: the
   * first such row the oldest such deal, the second the next, and so on; none once they are
   * used up (the row makes a new one).
   */
  nextDeal(title: string, companyId: number | null): number | undefined {
    if (!this.dealsByKey) {
      this.dealsByKey = new Map();
      for (const row of this.shard
        .statement("SELECT id, title, company_id AS companyId FROM deals ORDER BY id")
        .iterate() as IterableIterator<{ id: number; title: string; companyId: number | null }>) {
        const key = this.dealKey(row.title, row.companyId);
        const ids = this.dealsByKey.get(key);
        if (ids) ids.push(row.id);
        else this.dealsByKey.set(key, [row.id]);
      }
    }
    const key = this.dealKey(title, companyId);
    const seen = this.dealRows.get(key) ?? 0;
    this.dealRows.set(key, seen + 1);
    return this.dealsByKey.get(key)?.[seen];
  }

  /** A deal the import made: the next row with its title and company goes past it. */
  addDeal(id: number, title: string, companyId: number | null): void {
    const key = this.dealKey(title, companyId);
    if (!this.dealsByKey) return;
    const ids = this.dealsByKey.get(key);
    if (ids) ids.push(id);
    else this.dealsByKey.set(key, [id]);
  }

  private dataVersion(): number {
    return Number(this.shard.statement("PRAGMA data_version").values()[0]?.[0]);
  }

  /**
   * Every contact's email read in one pass, the first time one is looked up, when the
   * workspace has at most EMAIL_MAP_MAX contacts: a lookup is then a map's, not an index
   * query's (~30 µs each in a run). It holds while no other connection commits (PRAGMA
   * data_version, compared once per chunk: nobody else writes inside one); once another
   * does (a person adds a contact during the import), lookups go back to the index.
   */
  private emailMap(): Map<string, number> | null {
    if (this.emails === undefined) {
      const { n } = this.shard.statement("SELECT count(*) AS n FROM contacts").get() as { n: number };
      this.emails = null;
      if (n <= EMAIL_MAP_MAX) {
        const emails = new Map<string, number>();
        this.emailsVersion = this.dataVersion();
        for (const row of this.shard
          .statement("SELECT id, email FROM contacts WHERE email IS NOT NULL ORDER BY id")
          .iterate() as IterableIterator<{ id: number; email: string }>) {
          if (!emails.has(row.email)) emails.set(row.email, row.id);
        }
        this.emails = emails;
      }
    }
    if (this.emails && !this.emailsChecked) {
      this.emailsChecked = true;
      queueMicrotask(() => {
        this.emailsChecked = false;
      });
      if (this.dataVersion() !== this.emailsVersion) this.emails = null;
    }
    return this.emails;
  }

  /** The workspace's pipelines with their stages. */
  allPipelines(): PipelineWithStages[] {
    this.pipelines ??= listPipelines(this.shard);
    return this.pipelines;
  }

  /**
   * The oldest contact with this email (stored lower-case): from the emails read once (see
   * emailMap), or else through the index. Contacts this import creates are not added: a file
   * may name an email once (SeenKeys), and no import both creates contacts and looks them up.
   */
  contactByEmail(email: string): number | undefined {
    const map = this.emailMap();
    if (map) return map.get(email);
    const row = this.shard
      .statement("SELECT id FROM contacts WHERE email = ? ORDER BY id LIMIT 1")
      .get(email) as { id: number } | null;
    return row?.id;
  }

  /**
   * The contacts called `name` ("Ada Lovelace", "Mary Ann Smith": each split of its words into
   * a first and a last name, through the name index); when several are, the one at the row's
   * company if only one is.
   */
  contactsNamed(name: string, companyName?: string): number[] {
    const words = name.trim().split(/\s+/).filter(Boolean);
    const find = this.shard.statement(
      "SELECT id, company_id AS companyId FROM contacts WHERE last_name = ? AND first_name = ? ORDER BY id LIMIT 50",
    );
    const found: { id: number; companyId: number | null }[] = [];
    for (let k = 1; k <= words.length && words.length <= 12; k++)
      found.push(...(find.all(words.slice(k).join(" "), words.slice(0, k).join(" ")) as typeof found));
    // Several: the one at the row's company, if only one is.
    const companyId = companyName === undefined ? undefined : this.companyByName(companyName);
    const there = found.filter((r) => companyId !== undefined && r.companyId === companyId);
    return (found.length > 1 && there.length === 1 ? there : found).map((r) => r.id);
  }

  /** The oldest contact with this first and last name (as written) at this company (or at none). */
  contactByName(firstName: string, lastName: string, companyId: number | null): number | undefined {
    const rows = this.shard
      .statement(
        "SELECT id, company_id AS companyId FROM contacts WHERE last_name = ? AND first_name = ? ORDER BY id",
      )
      .all(lastName, firstName) as { id: number; companyId: number | null }[];
    return rows.find((r) => r.companyId === companyId)?.id;
  }
}
