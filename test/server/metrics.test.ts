/**
 * The Prometheus endpoint (src/server/metrics.ts): the exposition text carries exactly the figures of the
 * status snapshot it was built from, one snapshot per scrape, over real HTTP on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/server/config-schema.js';
import type { StatusSnapshot } from '../../src/server/control-socket.js';
import { MetricsRegistry, MetricsServer } from '../../src/server/metrics.js';

function snapshot(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  const session = {
    user: 'alice',
    peer: { address: '198.51.100.7', port: 4500 },
    assignedAddress: '192.168.42.10',
    clientFamily: 'windows',
    establishedAt: '2026-11-27T00:00:00.000Z',
    uptimeSeconds: 5,
    bytesIn: 100,
    bytesOut: 200,
    packetsIn: 1,
    packetsOut: 2,
    spis: { inbound: '00000001', outbound: '00000002' },
    encapsulation: 'udp' as const,
  };
  return {
    version: '9.8.7',
    pid: 1,
    startedAt: '2026-11-27T00:00:00.000Z',
    uptimeSeconds: 5,
    sessions: [session, { ...session, user: 'bob' }, { ...session, user: 'carol', clientFamily: 'macos' }],
    counters: { ike: { retransmit: 5, 'half-open-timeout': 0 }, esp: { 'replay-duplicate': 7 } },
    live: { ikeSas: 3, ikeHalfOpen: 1, espSas: 6, l2tpTunnels: 3, l2tpSessions: 3, pppSessions: 3, peers: 3 },
    pool: { size: 241, available: 238, leased: 3 },
    ...over,
  };
}

/** The sample lines (no comments) of an exposition text, as "name{labels} value" strings. */
function samples(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('MetricsRegistry', () => {
  it('exports the snapshot: info, sessions by family, live gauges, pool, events', async () => {
    const m = new MetricsRegistry(() => snapshot(), { processMetrics: false });
    const text = await m.render();
    const s = samples(text);
    expect(s).toContain('l2tpsec_info{version="9.8.7"} 1');
    expect(s).toContain('l2tpsec_sessions{client_family="windows"} 2');
    expect(s).toContain('l2tpsec_sessions{client_family="macos"} 1');
    expect(s).toContain('l2tpsec_ike_sas 3');
    expect(s).toContain('l2tpsec_ike_half_open_sas 1');
    expect(s).toContain('l2tpsec_esp_sas 6');
    expect(s).toContain('l2tpsec_l2tp_tunnels 3');
    expect(s).toContain('l2tpsec_ppp_sessions 3');
    expect(s).toContain('l2tpsec_pool_addresses{state="leased"} 3');
    expect(s).toContain('l2tpsec_pool_addresses{state="available"} 238');
    expect(s).toContain('l2tpsec_events_total{layer="ike",reason="retransmit"} 5');
    expect(s).toContain('l2tpsec_events_total{layer="esp",reason="replay-duplicate"} 7');
    // A zero counter is not exported as a series of its own (it would only add noise).
    expect(text).not.toContain('half-open-timeout');
    expect(text).toContain('# TYPE l2tpsec_events_total counter');
    expect(text).toContain('# TYPE l2tpsec_esp_sas gauge');
    // Nothing that names a user or an address.
    expect(text).not.toMatch(/alice|bob|carol|198\.51\.100\.7|192\.168\.42\.10/);
  });

  it('takes one snapshot per scrape and follows the server between scrapes', async () => {
    let calls = 0;
    let current = snapshot();
    const m = new MetricsRegistry(
      () => {
        calls++;
        return current;
      },
      { processMetrics: false },
    );
    await m.render();
    expect(calls).toBe(1);
    current = snapshot({
      sessions: [],
      counters: { ike: { retransmit: 9 } },
      live: { ikeSas: 0 },
      pool: { size: 241, available: 241, leased: 0 },
    });
    const s = samples(await m.render());
    expect(calls).toBe(2);
    expect(s).toContain('l2tpsec_ike_sas 0');
    expect(s).toContain('l2tpsec_events_total{layer="ike",reason="retransmit"} 9');
    expect(s).not.toContain('l2tpsec_events_total{layer="esp",reason="replay-duplicate"} 7');
    expect(s.filter((l) => l.startsWith('l2tpsec_sessions{'))).toEqual([
      'l2tpsec_sessions{client_family="any"} 0',
    ]);
  });

  it('adds the process metrics by default', async () => {
    const text = await new MetricsRegistry(() => snapshot()).render();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });
});

describe('MetricsServer over HTTP', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers GET /metrics with the exposition format; 404 elsewhere; 405 for POST; HEAD has no body', async () => {
    const m = new MetricsRegistry(() => snapshot(), { processMetrics: false });
    server = await MetricsServer.listen(m, { host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${server.address.port}`;
    const ok = await fetch(`${base}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(samples(await ok.text())).toContain('l2tpsec_ike_sas 3');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('a failing snapshot gives 500 and the server keeps answering', async () => {
    let fail = true;
    const m = new MetricsRegistry(
      () => {
        if (fail) throw new Error('boom');
        return snapshot();
      },
      { processMetrics: false },
    );
    server = await MetricsServer.listen(m, { host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${server.address.port}/metrics`;
    expect((await fetch(url)).status).toBe(500);
    fail = false;
    expect((await fetch(url)).status).toBe(200);
  });
});

describe('parseHostPort', () => {
  it('accepts a.b.c.d:port and refuses everything else', () => {
    expect(parseHostPort('127.0.0.1:9810')).toEqual({ host: '127.0.0.1', port: 9810 });
    for (const bad of [
      '127.0.0.1',
      ':9810',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '256.0.0.1:80',
      'localhost:80',
    ])
      expect(parseHostPort(bad), bad).toBeUndefined();
  });
});
