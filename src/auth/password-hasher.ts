import { BoundedConcurrency } from "./bounded-concurrency.ts";

export interface PasswordHasherOptions {
  /** Hashes computed at once (each argon2id hash holds `memoryCostKiB` of memory). */
  concurrency: number;
  /** Hashes allowed to wait before new ones are turned away with a 503. */
  maxWaiting: number;
  /** argon2id memory cost in KiB (Bun's default: 65536). */
  memoryCostKiB: number;
  /** argon2id passes (Bun's default: 2). */
  timeCost: number;
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

/** Hashes and verifies passwords with argon2id, never more than `concurrency` at once. */
export class PasswordHasher {
  private readonly gate: BoundedConcurrency;
  /** Verified against when the account does not exist, so timing does not reveal which emails have accounts. */
  private decoy: Promise<string> | undefined;

  constructor(private readonly options: PasswordHasherOptions) {
    this.gate = new BoundedConcurrency(options);
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() =>
      Bun.password.hash(password, {
        algorithm: "argon2id",
        memoryCost: this.options.memoryCostKiB,
        timeCost: this.options.timeCost,
      }),
    );
  }

  /** Verifies `password` against `hash`; with no hash, spends the same time and returns false. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    if (hash === undefined) {
      if (!this.decoy) {
        const decoy = this.hash(crypto.randomUUID());
        this.decoy = decoy;
        // A decoy that could not be made (server busy) must not stay cached as a failure.
        decoy.catch(() => {
          if (this.decoy === decoy) this.decoy = undefined;
        });
      }
      const decoy = await this.decoy;
      await this.gate.run(() => Bun.password.verify(password, decoy));
      return false;
    }
    return this.gate.run(() => Bun.password.verify(password, hash));
  }
}
