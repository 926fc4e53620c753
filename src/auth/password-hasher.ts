import { BoundedConcurrency } from "./bounded-concurrency.ts";

export interface PasswordHasherOptions {
  /** Sign-in checks computed at once (each argon2id hash holds `memoryCostKiB` of memory). */
  concurrency: number;
  /** Sign-in checks allowed to wait before new ones are turned away with a 503. */
  maxWaiting: number;
  /** argon2id memory cost in KiB (Bun's default: 65536). */
  memoryCostKiB: number;
  /** argon2id passes (Bun's default: 2). */
  timeCost: number;
  /** New passwords (sign-up, joining, the CLI) hashed at once; default half of `concurrency`, at least 1. */
  newPasswordConcurrency?: number;
  /** New passwords allowed to wait; default a quarter of `maxWaiting`. */
  newPasswordMaxWaiting?: number;
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

/**
 * Hashes and verifies passwords with argon2id. Sign-in has its own capacity
 * (`concurrency` + `maxWaiting`), and new passwords have a smaller one of theirs: a flood of
 * sign-ups is turned away with 503s on its own side and never makes a correct sign-in wait
 * behind it or fail.
 */
export class PasswordHasher {
  private readonly signIn: BoundedConcurrency;
  private readonly newPasswords: BoundedConcurrency;
  /** Verified against when the account does not exist, so timing does not reveal which emails have accounts. */
  private decoy: Promise<string> | undefined;

  constructor(private readonly options: PasswordHasherOptions) {
    this.signIn = new BoundedConcurrency(options);
    this.newPasswords = new BoundedConcurrency({
      concurrency: options.newPasswordConcurrency ?? Math.max(1, Math.floor(options.concurrency / 2)),
      maxWaiting: options.newPasswordMaxWaiting ?? Math.floor(options.maxWaiting / 4),
    });
  }

  private compute(password: string): Promise<string> {
    return Bun.password.hash(password, {
      algorithm: "argon2id",
      memoryCost: this.options.memoryCostKiB,
      timeCost: this.options.timeCost,
    });
  }

  /** Hashes a new password (sign-up, an invitation accepted, the CLI): from the new passwords' capacity. */
  hash(password: string): Promise<string> {
    return this.newPasswords.run(() => this.compute(password));
  }

  /** Verifies `password` against `hash`; with no hash, spends the same time and returns false. From sign-in's capacity. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    if (hash === undefined) {
      if (!this.decoy) {
        const decoy = this.signIn.run(() => this.compute(crypto.randomUUID()));
        this.decoy = decoy;
        // A decoy that could not be made (server busy) must not stay cached as a failure.
        decoy.catch(() => {
          if (this.decoy === decoy) this.decoy = undefined;
        });
      }
      const decoy = await this.decoy;
      await this.signIn.run(() => Bun.password.verify(password, decoy));
      return false;
    }
    return this.signIn.run(() => Bun.password.verify(password, hash));
  }
}
