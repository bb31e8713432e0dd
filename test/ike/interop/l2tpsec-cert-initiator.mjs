#!/usr/bin/env node
// l2tpsec's IKEv1 engine (dist/) as INITIATOR with X.509 RSA signature credentials (RFC 2409 section 5.1),
// run as its own process inside a test namespace: Main Mode, then Quick Mode, one JSON line per event.
// Exits 0 once a CHILD_SA is installed, 1 when the IKE SA fails or --timeout seconds pass. Only --peer (an
// address inside the test's namespaces) is sent to.
//
//   node test/ike/interop/l2tpsec-cert-initiator.mjs --address A --peer B --cert C --key K --ca CA [--timeout 30]
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../../dist/src');
const { IkeEngine } = await import(pathToFileURL(join(dist, 'ike/engine.js')).href);
const { NON_ESP_MARKER } = await import(pathToFileURL(join(dist, 'ike/natt.js')).href);
const { certCredentialsFromPem } = await import(pathToFileURL(join(dist, 'ike/auth/credentials.js')).href);

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    peer: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    timeout: { type: 'string', default: '30' },
  },
});
if (!values.address || !values.peer || !values.cert || !values.key || !values.ca) {
  process.stderr.write('usage: l2tpsec-cert-initiator.mjs --address A --peer B --cert C --key K --ca CA\n');
  process.exit(2);
}

const IKE_PORT = 500;
const NATT_PORT = 4500;
const certificates = certCredentialsFromPem({
  certificate: readFileSync(values.cert, 'utf8'),
  privateKey: readFileSync(values.key, 'utf8'),
  caCertificates: readFileSync(values.ca, 'utf8'),
});
const engine = new IkeEngine({ psk: 'unused-psk-for-cert-tests', certificates });
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
  let outcome;
  for (const a of actions) {
    if (a.type === 'send') {
      const s = sockets.get(a.from.port) ?? sockets.get(IKE_PORT);
      s.send(a.nonEspMarker ? Buffer.concat([NON_ESP_MARKER, a.data]) : a.data, a.to.port, a.to.address);
    } else if (a.type === 'ike-sa-up') {
      print({ event: 'ike-sa-up', id: a.ikeSaId, suite: a.suite, peerIdentity: a.peerIdentity });
    } else if (a.type === 'install-sa') {
      print({ event: 'child-sa', spiIn: hex(a.sa.spiIn), spiOut: hex(a.sa.spiOut), mode: a.sa.mode });
      outcome ??= 0;
    } else if (a.type === 'ike-sa-down') {
      print({ event: 'ike-sa-down', id: a.ikeSaId, reason: a.reason, notify: a.notify });
      outcome ??= 1;
    } else {
      print({ event: a.type });
    }
  }
  if (outcome !== undefined) {
    done = true;
    // Quick Mode's third message leaves in the same batch; let it go before the sockets close.
    setTimeout(() => finish(outcome), 200);
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
      // RFC 3948 section 2.2: IKE on 4500 follows a 4-byte zero non-ESP marker.
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
