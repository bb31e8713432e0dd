#!/usr/bin/env node
// l2tpsec's IKEv1 responder (the compiled dev responder's startIkeResponder, dist/) with X.509 RSA signature
// credentials (RFC 2409 section 5.1), run as its own process inside a test namespace: UDP 500/4500 on one
// address, one JSON line per event on stdout ({"event":"ike-sa",…}, {"event":"child-sa",…},
// {"event":"ike-sa-down",…}).
//
//   node test/ike/interop/l2tpsec-cert-responder.mjs --address A --psk K --cert C.pem --key K.pem --ca CA.pem
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../../dist/src');
const { startIkeResponder, espName } = await import(pathToFileURL(join(dist, 'ike/dev-responder.js')).href);
const { certCredentialsFromPem } = await import(pathToFileURL(join(dist, 'ike/auth/credentials.js')).href);

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    psk: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
  },
});
if (!values.address || !values.psk || !values.cert || !values.key || !values.ca) {
  process.stderr.write('usage: l2tpsec-cert-responder --address A --psk K --cert C --key K --ca CA\n');
  process.exit(2);
}

const certificates = certCredentialsFromPem({
  certificate: readFileSync(values.cert, 'utf8'),
  privateKey: readFileSync(values.key, 'utf8'),
  caCertificates: readFileSync(values.ca, 'utf8'),
});

const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const r = await startIkeResponder({
  address: values.address,
  psk: values.psk,
  config: { certificates },
  onEvent: (a) => {
    if (a.type === 'ike-sa-up')
      print({ event: 'ike-sa', id: a.ikeSaId, peerIdentity: a.peerIdentity, suite: a.suite });
    else if (a.type === 'install-sa')
      print({
        event: 'child-sa',
        spiIn: a.sa.spiIn.toString(16).padStart(8, '0'),
        spiOut: a.sa.spiOut.toString(16).padStart(8, '0'),
        esp: espName(a.sa),
      });
    else if (a.type === 'ike-sa-down')
      print({ event: 'ike-sa-down', id: a.ikeSaId, reason: a.reason, notify: a.notify });
  },
});
const stop = () => void r.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
