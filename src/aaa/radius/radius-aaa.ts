/**
 * The RADIUS pieces an embedding (the server) holds together: one client (RFC 2865 section 2.5 failover
 * across `servers`), the authenticator over it, and accounting (RFC 2866) when enabled. `track` keeps the
 * accounting requests in flight so that `close` can let the final Stops go out (for at most `graceMs`)
 * before the socket closes.
 */
import type { Logger } from '../../util/log.js';
import { RadiusAccounting } from './radius-accounting.js';
import { RadiusAuthenticator, type RadiusNasOptions } from './radius-authenticator.js';
import { RadiusClient, type RadiusServerEndpoint } from './radius-client.js';

export interface RadiusAaaOptions {
  readonly servers: readonly RadiusServerEndpoint[];
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly nasIdentifier: string | undefined;
  readonly nasIpAddress: string | undefined;
  readonly accounting: boolean;
}

export class RadiusAaa {
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    readonly client: RadiusClient,
    readonly authenticator: RadiusAuthenticator,
    readonly accounting: RadiusAccounting | undefined,
  ) {}

  static async open(opts: RadiusAaaOptions, log: Logger): Promise<RadiusAaa> {
    const client = await RadiusClient.open({
      servers: opts.servers,
      timeoutMs: opts.timeoutSeconds * 1000,
      retries: opts.retries,
      log,
    });
    const nas: RadiusNasOptions = {
      ...(opts.nasIdentifier !== undefined ? { nasIdentifier: opts.nasIdentifier } : {}),
      ...(opts.nasIpAddress !== undefined ? { nasIpAddress: opts.nasIpAddress } : {}),
    };
    return new RadiusAaa(
      client,
      new RadiusAuthenticator(client, nas),
      opts.accounting ? new RadiusAccounting(client, nas, log) : undefined,
    );
  }

  /** Remembers an accounting request until it settles (see `close`). */
  track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Waits up to `graceMs` for tracked requests, then closes the client (rejecting what is left). */
  async close(graceMs = 3000): Promise<void> {
    if (this.inFlight.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.client.close();
  }
}
