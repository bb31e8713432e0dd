/**
 * The control socket and `l2tpsec status`: a snapshot goes over a real unix socket and comes out as JSON
 * (each session with its user) or as a table; stale sockets are replaced, live ones are not stolen, bad
 * requests get an error answer, and the socket is private (0600).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { formatStatusTable } from '../../src/cli/status.js';
import {
  ControlSocket,
  ControlSocketInUseError,
  queryStatus,
  requestDisconnect,
  type StatusSnapshot,
} from '../../src/server/control-socket.js';

const dir = mkdtempSync(join(tmpdir(), 'l2s-control-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snapshot(): StatusSnapshot {
  return {
    version: '0.1.0',
    pid: 4242,
    startedAt: '2026-11-27T10:00:00.000Z',
    uptimeSeconds: 3725,
    sessions: [
      {
        user: 'alice',
        peer: { address: '203.0.113.9', port: 4500 },
        assignedAddress: '192.168.42.10',
        clientFamily: 'windows',
        establishedAt: '2026-11-27T10:30:00.000Z',
        uptimeSeconds: 61,
        bytesIn: 1536,
        bytesOut: 5 * 1024 * 1024,
        packetsIn: 3,
        packetsOut: 4000,
        spis: { inbound: 'c0ffee01', outbound: '0badf00d' },
        encapsulation: 'udp',
      },
    ],
    counters: { esp: { 'bad-icv': 2 } },
    pool: { size: 241, available: 240, leased: 1 },
  };
}

function rawRequest(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let out = '';
    s.on('connect', () => s.write(text));
    s.on('data', (c) => {
      out += c.toString();
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('control socket', () => {
  it('answers status with the snapshot, in a private socket', async () => {
    const path = join(dir, 'a', 'control.sock');
    let calls = 0;
    const cs = await ControlSocket.listen(path, () => {
      calls++;
      return snapshot();
    });
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await queryStatus(path)).toEqual(snapshot());
      expect(await queryStatus(path)).toEqual(snapshot());
      expect(calls).toBe(2);
      expect(JSON.parse(await rawRequest(path, 'reboot\n'))).toEqual({
        error: "unknown command 'reboot' (known: status)",
      });
      expect(JSON.parse(await rawRequest(path, 'x'.repeat(5000)))).toEqual({ error: 'request too long' });
      await expect(ControlSocket.listen(path, snapshot)).rejects.toBeInstanceOf(ControlSocketInUseError);
    } finally {
      await cs.close();
    }
    expect(() => statSync(path)).toThrow(/ENOENT/);
  });

  it('replaces a stale socket file left by a dead server', async () => {
    const path = join(dir, 'stale.sock');
    writeFileSync(path, '');
    const cs = await ControlSocket.listen(path, snapshot);
    try {
      expect((await queryStatus(path)).pid).toBe(4242);
    } finally {
      await cs.close();
    }
  });

  it('a failing provider gives an error answer, not a crash', async () => {
    const path = join(dir, 'throws.sock');
    const cs = await ControlSocket.listen(path, () => {
      throw new Error('boom');
    });
    try {
      await expect(queryStatus(path)).rejects.toThrow(/server: status snapshot failed/);
    } finally {
      await cs.close();
    }
  });

  it('disconnect reaches the handler with its target and answers what it ended', async () => {
    const path = join(dir, 'disconnect.sock');
    const asked: string[] = [];
    const cs = await ControlSocket.listen(path, {
      status: snapshot,
      disconnect: (target) => {
        asked.push(target);
        return {
          disconnected: target === 'alice' ? [{ user: 'alice', assignedAddress: '192.168.42.10' }] : [],
        };
      },
    });
    try {
      expect(await requestDisconnect(path, 'alice')).toEqual({
        disconnected: [{ user: 'alice', assignedAddress: '192.168.42.10' }],
      });
      expect(await requestDisconnect(path, '192.168.42.99')).toEqual({ disconnected: [] });
      expect(asked).toEqual(['alice', '192.168.42.99']);
      expect(JSON.parse(await rawRequest(path, 'disconnect\n'))).toEqual({
        error: 'usage: disconnect <user or address>',
      });
      expect(JSON.parse(await rawRequest(path, 'reboot\n'))).toEqual({
        error: "unknown command 'reboot' (known: status, disconnect)",
      });
      await expect(requestDisconnect(path, 'two words')).rejects.toThrow(/not a user name or address/);
      expect(asked).toHaveLength(2);
    } finally {
      await cs.close();
    }
  });

  it('a server without a disconnect handler refuses the command', async () => {
    const path = join(dir, 'nodisconnect.sock');
    const cs = await ControlSocket.listen(path, snapshot);
    try {
      await expect(requestDisconnect(path, 'alice')).rejects.toThrow(/unknown command 'disconnect alice'/);
    } finally {
      await cs.close();
    }
  });

  it('with no server, the query says so', async () => {
    await expect(queryStatus(join(dir, 'nobody.sock'))).rejects.toThrow(/no l2tpsec server is running/);
  });
});

describe('l2tpsec status', () => {
  async function run(args: string[]): Promise<string> {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += chunk.toString();
      return true;
    });
    try {
      await main(['node', 'l2tpsec', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('--json prints the snapshot with each session carrying its user; default is the table', async () => {
    const path = join(dir, 'cli.sock');
    const cs = await ControlSocket.listen(path, snapshot);
    try {
      const json = JSON.parse(await run(['status', '--json', '--control', path])) as StatusSnapshot;
      expect(json.sessions.map((s) => s.user)).toEqual(['alice']);
      expect(json).toEqual(snapshot());
      const table = await run(['status', '--control', path]);
      expect(table).toBe(formatStatusTable(snapshot()));
    } finally {
      await cs.close();
    }
  });

  it('the table shows every column of every session', () => {
    const lines = formatStatusTable(snapshot()).split('\n');
    expect(lines[0]).toBe('l2tpsec 0.1.0 (pid 4242), up 01:02:05, 1 session, pool 1 leased / 240 free');
    expect(lines[2].split(/\s{2,}/)).toEqual([
      'USER',
      'PEER',
      'ADDRESS',
      'CLIENT',
      'UPTIME',
      'IN',
      'OUT',
      'SPI IN/OUT',
    ]);
    expect(lines[3].split(/\s{2,}/)).toEqual([
      'alice',
      '203.0.113.9:4500',
      '192.168.42.10',
      'windows',
      '00:01:01',
      '1.5 KiB',
      '5.0 MiB',
      'c0ffee01/0badf00d',
    ]);
  });
});
