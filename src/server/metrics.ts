/**
 * Prometheus metrics for `l2tpsec server` (`metrics.listen` in the YAML file, or `--metrics ADDR:PORT`):
 * an HTTP endpoint answering `GET /metrics` in the text exposition format, built on prom-client.
 *
 * Every figure comes from the same `StatusSnapshot` that `l2tpsec status --json` prints, taken once per
 * scrape, so the two never disagree: the live gauges (IKE SAs, ESP SAs, L2TP tunnels, sessions), the pool,
 * and every layer's drop and event counters as `l2tpsec_events_total{layer, reason}`. No user names or
 * addresses are exported (the status socket, mode 0600, is the place for those), so the endpoint may be
 * exposed to a monitoring network; it is off unless configured, and the default address is loopback.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import type { StatusProvider, StatusSnapshot } from './control-socket.js';

/** The live-state keys of `StatusSnapshot.live` and the gauge each becomes. */
const LIVE_GAUGES: ReadonlyArray<readonly [key: string, name: string, help: string]> = [
  ['ikeSas', 'l2tpsec_ike_sas', 'IKE (ISAKMP) SAs established'],
  ['ikeHalfOpen', 'l2tpsec_ike_half_open_sas', 'IKE SAs in negotiation (the bounded half-open table)'],
  ['espSas', 'l2tpsec_esp_sas', 'ESP SAs installed (each direction counts once)'],
  ['l2tpTunnels', 'l2tpsec_l2tp_tunnels', 'L2TP control connections'],
  ['l2tpSessions', 'l2tpsec_l2tp_sessions', 'L2TP sessions'],
  ['pppSessions', 'l2tpsec_ppp_sessions', 'PPP sessions, in any phase'],
  ['peers', 'l2tpsec_peers', 'IPsec peers (outer address and port) with an SA pair'],
];

export interface MetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event-loop lag); default true. */
  readonly processMetrics?: boolean;
}

/** The metric registry, filled from one status snapshot per scrape. */
export class MetricsRegistry {
  readonly registry = new Registry();
  private current: StatusSnapshot | undefined;

  constructor(
    private readonly status: StatusProvider,
    opts: MetricsOptions = {},
  ) {
    const reg = this.registry;
    const snap = (): StatusSnapshot => {
      this.current ??= this.status();
      return this.current;
    };
    new Gauge({
      name: 'l2tpsec_info',
      help: 'Always 1; the labels say which l2tpsec runs',
      labelNames: ['version'],
      registers: [reg],
      collect() {
        this.reset();
        this.set({ version: snap().version }, 1);
      },
    });
    new Gauge({
      name: 'l2tpsec_sessions',
      help: 'VPN sessions with their IP link up, by client family (from IKE vendor IDs and L2TP AVPs)',
      labelNames: ['client_family'],
      registers: [reg],
      collect() {
        this.reset();
        const byFamily = new Map<string, number>();
        for (const s of snap().sessions)
          byFamily.set(s.clientFamily, (byFamily.get(s.clientFamily) ?? 0) + 1);
        if (byFamily.size === 0) this.set({ client_family: 'any' }, 0);
        for (const [family, n] of byFamily) this.set({ client_family: family }, n);
      },
    });
    for (const [key, name, help] of LIVE_GAUGES) {
      new Gauge({
        name,
        help,
        registers: [reg],
        collect() {
          this.set(snap().live?.[key] ?? 0);
        },
      });
    }
    new Gauge({
      name: 'l2tpsec_pool_addresses',
      help: 'Client addresses in the pool, by state',
      labelNames: ['state'],
      registers: [reg],
      collect() {
        const pool = snap().pool;
        this.set({ state: 'leased' }, pool?.leased ?? 0);
        this.set({ state: 'available' }, pool?.available ?? 0);
      },
    });
    new Counter({
      name: 'l2tpsec_events_total',
      help: 'Drops and events per layer and reason (the counters of `l2tpsec status --json`)',
      labelNames: ['layer', 'reason'],
      registers: [reg],
      collect() {
        // The layers keep the running totals; the counter is set to them (reset, then one inc each).
        this.reset();
        for (const [layer, reasons] of Object.entries(snap().counters)) {
          for (const [reason, n] of Object.entries(reasons)) if (n > 0) this.inc({ layer, reason }, n);
        }
      },
    });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: reg });
  }

  /** The exposition text for one scrape, from one fresh status snapshot. */
  async render(): Promise<string> {
    this.current = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The HTTP side: `GET /metrics` (and HEAD), 404 elsewhere, 405 for other methods. */
export class MetricsServer {
  private constructor(
    private readonly server: Server,
    readonly address: { host: string; port: number },
  ) {}

  static async listen(
    metrics: MetricsRegistry,
    at: { host: string; port: number },
    log: Logger = silentLogger,
  ): Promise<MetricsServer> {
    const server = createServer((req, res) => void answer(metrics, req, res, log));
    // A scrape is one short request: idle keep-alive sockets must not pile up.
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    log.info({ address: `${bound.address}:${bound.port}` }, 'Prometheus metrics on /metrics');
    return new MetricsServer(server, { host: bound.address, port: bound.port });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function answer(
  metrics: MetricsRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  try {
    const body = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'metrics scrape failed');
    res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
  }
}
