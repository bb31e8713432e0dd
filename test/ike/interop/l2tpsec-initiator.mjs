#!/usr/bin/env node
// l2tpsec's IKEv1 engine as INITIATOR, run as its own process inside a test namespace (a process cannot
// change its network namespace, so the test runner starts this one there with `ip netns exec`). It drives
// the compiled engine (dist/src/ike/engine.js) over UDP 500/4500 on one address: Main Mode, then Quick Mode
// (the engine's autoQuickMode), printing a JSON line per event. Only --peer (an address inside the test's
// namespaces) is sent to.
// - Without --lifetime: exits 0 once a CHILD_SA is installed, 1 when the IKE SA fails.
// - With --lifetime S: the IKE SA lives S seconds and the engine re-keys phase 1 itself at ~90% of it (a
//   fresh Main Mode without INITIAL-CONTACT, the ESP SA adopted by the new IKE SA, a DELETE for the old
//   ISAKMP SA); exits 0 a moment after the old IKE SA went as 'rekeyed', 1 on any other IKE SA loss.
// Either way, 1 when --timeout seconds pass. With --cert C --key K --ca CA instead of --psk, Main Mode
// authenticates with X.509 RSA signatures (RFC 2409 section 5.1) and ike-sa-up names the peer's subject.
//
//   node test/ike/interop/l2tpsec-initiator.mjs --address A --peer B --psk K [--lifetime S] [--timeout 30]
//   node test/ike/interop/l2tpsec-initiator.mjs --address A --peer B --cert C --key K --ca CA [--timeout 30]
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../../dist/src');
const { IkeEngine } = await import(pathToFileURL(join(dist, 'ike/engine.js')).href);
const { NON_ESP_MARKER } = await import(pathToFileURL(join(dist, 'ike/natt.js')).href);
const { espName } = await import(pathToFileURL(join(dist, 'ike/dev-responder.js')).href);
const { certCredentialsFromPem } = await import(pathToFileURL(join(dist, 'ike/auth/credentials.js')).href);

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    peer: { type: 'string' },
    psk: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    lifetime: { type: 'string' },
    timeout: { type: 'string', default: '30' },
  },
});
const withCerts = values.cert !== undefined && values.key !== undefined && values.ca !== undefined;
if (!values.address || !values.peer || (!values.psk && !withCerts)) {
  process.stderr.write(
    'usage: l2tpsec-initiator.mjs --address A --peer B (--psk K | --cert C --key K --ca CA) [--lifetime S] [--timeout S]\n',
  );
  process.exit(2);
}

const IKE_PORT = 500;
const NATT_PORT = 4500;
const rekeying = values.lifetime !== undefined;
const certificates = withCerts
  ? certCredentialsFromPem({
      certificate: readFileSync(values.cert, 'utf8'),
      privateKey: readFileSync(values.key, 'utf8'),
      caCertificates: readFileSync(values.ca, 'utf8'),
    })
  : undefined;
const engine = new IkeEngine({
  psk: values.psk ?? 'unused-psk-for-cert-tests',
  ...(certificates ? { certificates } : {}),
  ...(rekeying ? { initiatorLifetimeSeconds: Number(values.lifetime), ikeRekeyMinMs: 1000 } : {}),
});
const sockets = new Map();
const now = () => performance.now();
const hex = (spi) => spi.toString(16).padStart(8, '0');
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
let timer;
let done = false;

function finish(code) {
  if (timer) clearTimeout(timer);
  for (const s of sockets.values()) s.close();
  process.exitCode = code;
}

function apply(actions) {
  if (done) return;
  // Every action is carried out before the process may end: Quick Mode's third message follows the
  // install-sa action in the same batch.
  let outcome;
  for (const a of actions) {
    switch (a.type) {
      case 'send': {
        const s = sockets.get(a.from.port) ?? sockets.get(IKE_PORT);
        s.send(a.nonEspMarker ? Buffer.concat([NON_ESP_MARKER, a.data]) : a.data, a.to.port, a.to.address);
        break;
      }
      case 'ike-sa-up':
        print({
          event: 'ike-sa-up',
          id: a.ikeSaId,
          rekeyOf: a.rekeyOf,
          suite: a.suite,
          natT: a.natT,
          local: a.local.port,
          peerIdentity: a.peerIdentity,
        });
        break;
      case 'install-sa':
        print({
          event: 'child-sa',
          ikeSaId: a.sa.ikeSaId,
          spiIn: hex(a.sa.spiIn),
          spiOut: hex(a.sa.spiOut),
          esp: espName(a.sa),
          mode: a.sa.mode,
          encap: a.sa.udpEncapsulation,
        });
        if (!rekeying) outcome ??= 0;
        break;
      case 'delete-sa':
        print({ event: 'delete-sa', spiIn: hex(a.spiIn), reason: a.reason });
        break;
      case 'children-adopted':
        print({ event: 'children-adopted', from: a.fromIkeSaId, to: a.toIkeSaId, spisIn: a.spisIn.map(hex) });
        break;
      case 'ike-sa-down':
        print({
          event: 'ike-sa-down',
          id: a.ikeSaId,
          reason: a.reason,
          rekeyOf: a.rekeyOf,
          notify: a.notify,
        });
        // A failed rekey attempt (rekeyOf set) leaves the old SA serving; only the old SA's end decides.
        if (a.rekeyOf === undefined) outcome ??= rekeying && a.reason === 'rekeyed' ? 0 : 1;
        break;
      default:
        print({ event: a.type });
    }
  }
  if (outcome !== undefined) {
    done = true;
    // Let the last datagrams (after a rekey: the DELETE) leave before the sockets close.
    setTimeout(() => finish(outcome), rekeying ? 1000 : 200);
    return;
  }
  if (timer) clearTimeout(timer);
  const d = engine.deadline();
  if (d !== undefined) timer = setTimeout(() => apply(engine.tick(now())), Math.max(0, d - now()));
}

for (const port of [IKE_PORT, NATT_PORT]) {
  const s = createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    let data = msg;
    if (port === NATT_PORT) {
      // RFC 3948 section 2.2: IKE on 4500 follows a 4-byte zero non-ESP marker; anything else is not IKE.
      if (msg.length < 4 || !msg.subarray(0, 4).equals(NON_ESP_MARKER)) return;
      data = msg.subarray(4);
    }
    apply(
      engine.receive(
        data,
        { address: rinfo.address, port: rinfo.port },
        { address: values.address, port },
        now(),
      ),
    );
  });
  await new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, values.address, resolve);
  });
  sockets.set(port, s);
}

setTimeout(() => {
  print({ event: 'timeout' });
  done = true;
  finish(1);
}, Number(values.timeout) * 1000).unref();
apply(
  engine.initiate(
    { address: values.peer, port: IKE_PORT },
    { address: values.address, port: IKE_PORT },
    now(),
  ).actions,
);
