/**
 * The YAML configuration file (`--config FILE`), as a zod schema: everything the environment variables of
 * the embedded default (config.ts) do not cover. Every key is optional; unknown keys are errors (a typo
 * must not silently fall back to a default). Durations are in seconds.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { isIpv4, parseCidr } from '../net/ipv4-address.js';

const ipv4 = z.string().refine(isIpv4, { message: 'expected an IPv4 address (a.b.c.d)' });
const cidr = z.string().refine(
  (s) => {
    try {
      parseCidr(s, true);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IPv4 CIDR block (a.b.c.d/n)' },
);
/** Parses "a.b.c.d:port" (a TCP listen address); undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  if (!m || !isIpv4(m[1])) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1], port } : undefined;
}
const hostPort = z.string().refine((s) => parseHostPort(s) !== undefined, {
  message: 'expected an IPv4 address and port (a.b.c.d:port)',
});
const seconds = z.number().positive();
const port = z.number().int().min(1).max(65535);
const count = z.number().int().nonnegative();

/** Phase-1 ciphers (RFC 2409 App. A; AES per RFC 3602 section 5). */
export const IKE_CIPHERS = ['aes256', 'aes192', 'aes128', '3des'] as const;
export const IKE_HASHES = ['sha512', 'sha384', 'sha256', 'sha1', 'md5'] as const;
/** PPP authentication (RFC 2759 MS-CHAPv2, RFC 1994 CHAP-MD5, RFC 1334 PAP). */
export const PPP_AUTH_METHODS = ['mschapv2', 'chap-md5', 'pap'] as const;
export const DH_GROUP_IDS = [1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21] as const;
/**
 * ESP suites in strongSwan's spelling: "<cipher>-<integrity>" for CBC (RFC 3602, RFC 2404, RFC 4868) or
 * "aes<bits>gcm16" for AES-GCM with a 16-byte ICV (RFC 4106).
 */
export const ESP_SUITE_PATTERN =
  /^(?:(aes(?:128|192|256)|3des)-(md5|sha1|sha256|sha384|sha512)|aes(128|192|256)gcm16)$/;

const dhGroup = z
  .number()
  .int()
  .refine((g) => (DH_GROUP_IDS as readonly number[]).includes(g), {
    message: `expected a DH group: ${DH_GROUP_IDS.join(', ')}`,
  });

export const fileConfigSchema = z.strictObject({
  /** Local addresses to listen on (UDP 500 and 4500); default every local IPv4 address. */
  listen: z.array(ipv4).min(1).optional(),
  /** Try raw ESP (IP protocol 50) for clients not behind NAT (default true; needs privilege). */
  rawEsp: z.boolean().optional(),
  /** The IPsec pre-shared key (VPN_IPSEC_PSK wins when set). */
  psk: z.string().min(1).optional(),
  /** Path of the users file (aaa): one user per line. */
  usersFile: z.string().min(1).optional(),
  l2tp: z
    .strictObject({
      network: cidr.optional(),
      localAddress: ipv4.optional(),
      pool: z.string().min(1).optional(),
    })
    .optional(),
  /** DNS servers offered in IPCP (RFC 1877); VPN_DNS_SRV1/2 win when set. */
  dns: z.array(ipv4).max(2).optional(),
  ike: z
    .strictObject({
      ciphers: z.array(z.enum(IKE_CIPHERS)).min(1).optional(),
      hashes: z.array(z.enum(IKE_HASHES)).min(1).optional(),
      groups: z.array(dhGroup).min(1).optional(),
      /** 'client': the client's order wins (IKEv1 custom); 'server': ours. */
      prefer: z.enum(['client', 'server']).optional(),
      aggressiveMode: z.boolean().optional(),
      forceEncapsulation: z.boolean().optional(),
      maxLifetime: seconds.optional(),
      dpdDelay: seconds.optional(),
      dpdTimeout: seconds.optional(),
      halfOpenPerSource: count.optional(),
      halfOpenTotal: count.optional(),
      /** RSA signatures (RFC 2409 section 5.1): PEM paths of our certificate (+ chain), key, trusted CAs. */
      certificate: z.string().min(1).optional(),
      privateKey: z.string().min(1).optional(),
      caCertificates: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      /** Phase-1 authentication: default psk, plus rsa-sig when a certificate is configured. */
      authMethods: z
        .array(z.enum(['psk', 'rsa-sig']))
        .min(1)
        .optional(),
    })
    .optional(),
  esp: z
    .strictObject({
      suites: z
        .array(
          z
            .string()
            .regex(ESP_SUITE_PATTERN, { message: 'expected e.g. aes128-sha1, aes256-sha256, aes128gcm16' }),
        )
        .min(1)
        .optional(),
      pfsGroups: z.array(dhGroup).optional(),
      maxLifetime: seconds.optional(),
      /** HMAC-SHA2-256 truncated to 96 bits, for Android 6/7 (VPN_SHA2_TRUNCBUG). */
      sha2Truncbug: z.boolean().optional(),
    })
    .optional(),
  ppp: z
    .strictObject({
      /** PPP authentication protocols offered, most preferred first (default: mschapv2, chap-md5). */
      authMethods: z.array(z.enum(PPP_AUTH_METHODS)).min(1).optional(),
    })
    .optional(),
  limits: z
    .strictObject({
      maxSessions: count.optional(),
      maxSessionsPerUser: count.optional(),
      maxSessionsPerPeer: count.optional(),
    })
    .optional(),
  timeouts: z
    .strictObject({
      l2tpHello: seconds.optional(),
      l2tpRetransmit: seconds.optional(),
      lcpEchoInterval: seconds.optional(),
      lcpEchoFailures: count.optional(),
      authentication: seconds.optional(),
      idle: z.number().nonnegative().optional(),
    })
    .optional(),
  tun: z
    .strictObject({
      name: z.string().min(1).max(15).optional(),
      mtu: z.number().int().min(576).max(1500).optional(),
    })
    .optional(),
  /** Clamp TCP MSS in SYNs to the tunnel MTU (default true). */
  mssClamp: z.boolean().optional(),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
      pretty: z.boolean().optional(),
    })
    .optional(),
  control: z.strictObject({ socket: z.string().min(1).optional() }).optional(),
  /** Prometheus metrics over HTTP (GET /metrics); off unless `listen` is set (e.g. 127.0.0.1:9810). */
  metrics: z.strictObject({ listen: hostPort.optional() }).optional(),
  /**
   * RADIUS AAA (RFC 2865 authentication, RFC 2866 accounting), tried after the environment's users and the
   * users file. Servers are tried in order (failover); per-server ports override authPort/acctPort.
   */
  radius: z
    .strictObject({
      servers: z
        .array(
          z.strictObject({
            address: z.string().refine((s) => isIP(s) !== 0, { message: 'expected an IP address' }),
            secret: z.string().min(1),
            /** Authentication port of this server (default: radius.authPort). */
            port: port.optional(),
            acctPort: port.optional(),
          }),
        )
        .min(1),
      authPort: port.optional(),
      acctPort: port.optional(),
      /** Seconds to wait per transmission (default 3). */
      timeout: seconds.optional(),
      /** Retransmissions per server before failing over (default 2). */
      retries: z.number().int().min(0).max(10).optional(),
      nasIdentifier: z.string().min(1).max(253).optional(),
      nasIpAddress: ipv4.optional(),
      /** Send Accounting-Request Start/Stop for every session (default true). */
      accounting: z.boolean().optional(),
      /**
       * Seconds between Interim-Update accounting records per session (RFC 2866 section 5.1, RFC 2869
       * section 2.1); default 0 = Start and Stop only. RFC 2869 asks for at least 600 in production.
       */
      interimInterval: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** TEST ONLY: accept L2TP on plain UDP 1701 outside IPsec (RFC 3193 says never). */
  allowPlainL2tp: z.boolean().optional(),
});

export type FileConfig = z.infer<typeof fileConfigSchema>;
