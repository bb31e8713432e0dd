/**
 * PPP protocol numbers (RFC 1661 section 2, IANA "PPP DLL Protocol Numbers") and the control-protocol codes
 * of RFC 1661 section 5, shared by LCP, IPCP and IPv6CP.
 */

export const PPP_PROTOCOL = {
  IPV4: 0x0021,
  IPV6: 0x0057,
  IPCP: 0x8021,
  IPV6CP: 0x8057,
  CCP: 0x80fd,
  LCP: 0xc021,
  PAP: 0xc023,
  CHAP: 0xc223,
  EAP: 0xc227,
} as const;

/** RFC 1661 section 5 packet codes; 8–11 are LCP-only, 12–13 are RFC 1570's Identification/Time-Remaining. */
export const CP_CODE = {
  CONFIGURE_REQUEST: 1,
  CONFIGURE_ACK: 2,
  CONFIGURE_NAK: 3,
  CONFIGURE_REJECT: 4,
  TERMINATE_REQUEST: 5,
  TERMINATE_ACK: 6,
  CODE_REJECT: 7,
  PROTOCOL_REJECT: 8,
  ECHO_REQUEST: 9,
  ECHO_REPLY: 10,
  DISCARD_REQUEST: 11,
  IDENTIFICATION: 12,
  TIME_REMAINING: 13,
} as const;

export function protocolName(protocol: number): string {
  for (const [name, value] of Object.entries(PPP_PROTOCOL)) if (value === protocol) return name;
  return `0x${protocol.toString(16).padStart(4, '0')}`;
}
