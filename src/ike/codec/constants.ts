/**
 * ISAKMP numbers (RFC 2408 section 3), the IPsec DOI (RFC 2407 section 4) and NAT traversal (RFC 3947
 * section 3 and 4, with the draft payload numbers Windows and macOS still send).
 */

/** Next Payload values (RFC 2408 section 3.1; RFC 3947 section 3.1 and 4.1; drafts 130/131). */
export const PayloadType = {
  None: 0,
  SA: 1,
  Proposal: 2,
  Transform: 3,
  KE: 4,
  ID: 5,
  CERT: 6,
  CR: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  N: 11,
  D: 12,
  VID: 13,
  NatD: 20,
  NatOA: 21,
  NatDDraft: 130,
  NatOADraft: 131,
} as const;

/** Exchange types (RFC 2408 section 3.1; Quick Mode per RFC 2409 section 5.5). */
export const ExchangeType = {
  Base: 1,
  IdentityProtection: 2,
  AuthenticationOnly: 3,
  Aggressive: 4,
  Informational: 5,
  QuickMode: 32,
} as const;

/** Header flags (RFC 2408 section 3.1). */
export const HeaderFlag = { Encryption: 1, Commit: 2, AuthenticationOnly: 4 } as const;

/** ISAKMP version 1.0 (major in the high nibble). */
export const ISAKMP_VERSION = 0x10;

/** Notify message types (RFC 2408 section 3.14.1; RFC 2407 section 4.6.3; RFC 3706 section 6). */
export const NotifyType = {
  InvalidPayloadType: 1,
  DoiNotSupported: 2,
  SituationNotSupported: 3,
  InvalidCookie: 4,
  InvalidMajorVersion: 5,
  InvalidMinorVersion: 6,
  InvalidExchangeType: 7,
  InvalidFlags: 8,
  InvalidMessageId: 9,
  InvalidProtocolId: 10,
  InvalidSpi: 11,
  InvalidTransformId: 12,
  AttributesNotSupported: 13,
  NoProposalChosen: 14,
  BadProposalSyntax: 15,
  PayloadMalformed: 16,
  InvalidKeyInformation: 17,
  InvalidIdInformation: 18,
  InvalidCertEncoding: 19,
  InvalidCertificate: 20,
  CertTypeUnsupported: 21,
  InvalidCertAuthority: 22,
  InvalidHashInformation: 23,
  AuthenticationFailed: 24,
  InvalidSignature: 25,
  AddressNotification: 26,
  NotifySaLifetime: 27,
  CertificateUnavailable: 28,
  UnsupportedExchangeType: 29,
  UnequalPayloadLengths: 30,
  Connected: 16384,
  ResponderLifetime: 24576,
  ReplayStatus: 24577,
  InitialContact: 24578,
  DpdRUThere: 36136,
  DpdRUThereAck: 36137,
} as const;

/** IPsec DOI (RFC 2407 section 4.2) and its only situation we speak (section 4.2, SIT_IDENTITY_ONLY). */
export const DOI_IPSEC = 1;
export const SIT_IDENTITY_ONLY = 1;

/** Protocol IDs (RFC 2407 section 4.4.1). */
export const ProtocolId = { ISAKMP: 1, AH: 2, ESP: 3, IPCOMP: 4 } as const;

/** Phase-1 transform ID (RFC 2407 section 4.4.2). */
export const KEY_IKE = 1;

/** Phase-1 attribute classes (RFC 2409 Appendix A). */
export const IkeAttr = {
  EncryptionAlgorithm: 1,
  HashAlgorithm: 2,
  AuthenticationMethod: 3,
  GroupDescription: 4,
  GroupType: 5,
  LifeType: 11,
  LifeDuration: 12,
  Prf: 13,
  KeyLength: 14,
} as const;

/** Phase-1 authentication methods (RFC 2409 Appendix A; XAUTH variants per draft-beaulieu-ike-xauth). */
export const AuthMethod = { PreSharedKey: 1, DssSignature: 2, RsaSignature: 3 } as const;

/** Life Type values, shared by phase 1 (RFC 2409 App. A) and phase 2 (RFC 2407 section 4.5). */
export const LifeType = { Seconds: 1, Kilobytes: 2 } as const;

/** Phase-2 (IPsec DOI) SA attribute classes (RFC 2407 section 4.5). */
export const IpsecAttr = {
  SaLifeType: 1,
  SaLifeDuration: 2,
  GroupDescription: 3,
  EncapsulationMode: 4,
  AuthenticationAlgorithm: 5,
  KeyLength: 6,
  KeyRounds: 7,
} as const;

/**
 * Encapsulation modes: RFC 2407 section 4.5 (1, 2), RFC 3947 section 5.1 (3, 4) and the
 * draft-ietf-ipsec-nat-t-ike private values (61443, 61444).
 */
export const EncapsulationMode = {
  Tunnel: 1,
  Transport: 2,
  UdpTunnel: 3,
  UdpTransport: 4,
  UdpTunnelDraft: 61443,
  UdpTransportDraft: 61444,
} as const;

/** Identification types (RFC 2407 section 4.6.2.1). */
export const IdType = {
  Ipv4Addr: 1,
  Fqdn: 2,
  UserFqdn: 3,
  Ipv4AddrSubnet: 4,
  Ipv6Addr: 5,
  Ipv6AddrSubnet: 6,
  Ipv4AddrRange: 7,
  Ipv6AddrRange: 8,
  DerAsn1Dn: 9,
  DerAsn1Gn: 10,
  KeyId: 11,
} as const;

/** The ISAKMP header length (RFC 2408 section 3.1) and the generic payload header (section 3.2). */
export const HEADER_LENGTH = 28;
export const GENERIC_HEADER_LENGTH = 4;
