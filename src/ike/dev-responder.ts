/**
 * A small IKEv1 responder for development and interop tests (issue 4, not the server): binds UDP 500 and
 * 4500 on one address, strips the non-ESP marker on 4500 (RFC 3948 section 2.2), drives an `IkeEngine`
 * with the real clock and prints one JSON line per event on stdout:
 *
 *   node dist/src/ike/dev-responder.js --address 10.1.0.1 --psk secret [--aggressive] [--no-force-encap]
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '../util/log.js';
import type { ChildSaParams, IkeAction } from './actions.js';
import { certCredentialsFromPem } from './auth/credentials.js';
import { AuthMethod } from './codec/constants.js';
import type { IkeConfigInput } from './config.js';
import { IkeEngine } from './engine.js';
import { DEFAULT_ESP_POLICY } from './esp-policy.js';
import { NON_ESP_MARKER } from './natt.js';
import { DEFAULT_PHASE1_POLICY, type Phase1Policy, withMd5 } from './policy.js';

export interface IkeResponderOptions {
  address: string;
  psk: string;
  log?: Logger;
  ikePort?: number;
  nattPort?: number;
  /** Engine settings beyond the defaults (policy, aggressive mode, forced encapsulation…). */
  config?: Partial<IkeConfigInput>;
  /** Called for every non-send action (the default prints nothing; the CLI entry prints JSON lines). */
  onEvent?: (a: Exclude<IkeAction, { type: 'send' }>) => void;
}

export interface IkeResponderHandle {
  readonly engine: IkeEngine;
  close(): Promise<void>;
}

/** e.g. "aes128-sha1", "aes256-sha256", "3des-sha1", "aes128gcm16" (swanctl's names). */
export function espName(sa: ChildSaParams): string {
  if (sa.cipher === 'aes-gcm-16') return `aes${sa.encryptionKeyBits}gcm16`;
  const c = sa.cipher === 'aes-cbc' ? `aes${sa.encryptionKeyBits}` : '3des';
  return `${c}-${sa.integrity?.replace(/^hmac-/, '').replace(/-\d+$/, '')}`;
}

export async function startIkeResponder(opts: IkeResponderOptions): Promise<IkeResponderHandle> {
  const log = opts.log ?? createLogger();
  const ikePort = opts.ikePort ?? 500;
  const nattPort = opts.nattPort ?? 4500;
  const engine = new IkeEngine({ psk: opts.psk, log, ikePort, nattPort, ...opts.config });
  const type = isIPv6(opts.address) ? 'udp6' : 'udp4';
  const sockets = new Map<number, Socket>();
  let timer: NodeJS.Timeout | undefined;
  const now = () => performance.now();

  const apply = (actions: readonly IkeAction[]) => {
    for (const a of actions) {
      if (a.type === 'send') {
        const s = sockets.get(a.from.port) ?? sockets.get(ikePort)!;
        const data = a.nonEspMarker ? Buffer.concat([NON_ESP_MARKER, a.data]) : a.data;
        s.send(data, a.to.port, a.to.address);
      } else {
        opts.onEvent?.(a);
      }
    }
    schedule();
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const d = engine.deadline();
    if (d === undefined) return;
    timer = setTimeout(() => apply(engine.tick(now())), Math.max(0, Math.min(d - now(), 2 ** 31 - 1)));
    timer.unref();
  };

  for (const port of [ikePort, nattPort]) {
    const s = createSocket({ type, reuseAddr: false });
    s.on('message', (msg, rinfo) => {
      let data = msg;
      if (port === nattPort) {
        // RFC 3948 section 2.2/2.3: a 1-byte 0xff keep-alive, ESP (non-zero SPI) or the marker and IKE.
        if (msg.length < 4 || !msg.subarray(0, 4).equals(NON_ESP_MARKER)) return;
        data = msg.subarray(4);
      }
      apply(
        engine.receive(
          data,
          { address: rinfo.address, port: rinfo.port },
          { address: opts.address, port },
          now(),
        ),
      );
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, opts.address, () => {
        s.off('error', reject);
        resolve();
      });
    });
    sockets.set(port, s);
  }
  log.info({ address: opts.address, ikePort, nattPort }, 'IKE responder listening');
  return {
    engine,
    close: async () => {
      if (timer) clearTimeout(timer);
      await Promise.all([...sockets.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

function printEvent(a: Exclude<IkeAction, { type: 'send' }>): void {
  let line: Record<string, unknown>;
  switch (a.type) {
    case 'ike-sa-up':
      line = {
        event: 'ike-sa',
        id: a.ikeSaId,
        peer: `${a.peer.address}:${a.peer.port}`,
        suite: a.suite,
        client: a.clientFamily,
        natT: a.natT,
        ...(a.peerIdentity === undefined ? {} : { peerIdentity: a.peerIdentity }),
      };
      break;
    case 'install-sa':
      line = {
        event: 'child-sa',
        ike: a.sa.ikeSaId,
        spiIn: a.sa.spiIn.toString(16).padStart(8, '0'),
        spiOut: a.sa.spiOut.toString(16).padStart(8, '0'),
        esp: espName(a.sa),
        mode: a.sa.mode,
        encap: a.sa.udpEncapsulation,
        lifetime: a.sa.lifetimeSeconds,
      };
      break;
    case 'delete-sa':
      line = {
        event: 'child-sa-deleted',
        ike: a.ikeSaId,
        spiIn: a.spiIn.toString(16).padStart(8, '0'),
        reason: a.reason,
      };
      break;
    case 'ike-sa-down':
      line = { event: 'ike-sa-down', id: a.ikeSaId, reason: a.reason, notify: a.notify };
      break;
    case 'child-sa-failed':
      line = { event: 'child-sa-failed', ike: a.ikeSaId, notify: a.notify };
      break;
    case 'peer-dead':
      line = { event: 'peer-dead', id: a.ikeSaId, peer: `${a.peer.address}:${a.peer.port}` };
      break;
    case 'children-adopted':
      line = { event: 'children-adopted', from: a.fromIkeSaId, to: a.toIkeSaId, spisIn: a.spisIn };
      break;
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** With certificates the responder takes RSA signatures (method 3) besides the PSK. */
function withSignatures(p: Phase1Policy, certificates: boolean): Phase1Policy {
  return certificates ? { ...p, authMethods: [AuthMethod.PreSharedKey, AuthMethod.RsaSignature] } : p;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      address: { type: 'string' },
      psk: { type: 'string' },
      aggressive: { type: 'boolean', default: false },
      'no-force-encap': { type: 'boolean', default: false },
      md5: { type: 'boolean', default: false },
      'raw-esp': { type: 'boolean', default: false },
      'dpd-idle': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
    },
  });
  if (!values.address || !values.psk) {
    process.stderr.write(
      'usage: dev-responder --address A --psk K [--aggressive] [--no-force-encap] [--md5] [--raw-esp]\n' +
        '       [--dpd-idle S] [--cert C.pem --key K.pem --ca CA.pem]\n',
    );
    process.exit(2);
  }
  const config: Partial<IkeConfigInput> = {
    ...(values['dpd-idle'] ? { dpdIdleMs: Number(values['dpd-idle']) * 1000 } : {}),
    aggressiveMode: values.aggressive,
    forceEncapsulation: !values['no-force-encap'],
    phase1: withSignatures(
      values.md5 ? withMd5(DEFAULT_PHASE1_POLICY) : DEFAULT_PHASE1_POLICY,
      !!values.cert,
    ),
    esp: { ...DEFAULT_ESP_POLICY, allowRawEsp: values['raw-esp'] },
    // X.509 RSA signatures (RFC 2409 section 5.1) besides the PSK, when all three files are given.
    ...(values.cert && values.key && values.ca
      ? {
          certificates: certCredentialsFromPem({
            certificate: readFileSync(values.cert, 'utf8'),
            privateKey: readFileSync(values.key, 'utf8'),
            caCertificates: readFileSync(values.ca, 'utf8'),
          }),
        }
      : {}),
  };
  const r = await startIkeResponder({
    address: values.address,
    psk: values.psk,
    config,
    onEvent: printEvent,
  });
  const stop = () => {
    void r.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
