/**
 * Termination reasons of the NTCP2 Termination block (ntcp2.rst, "Termination"). The same
 * numbers label our handshake and data-phase errors, so a driver can log them or put them in the
 * Termination block it sends before closing.
 */
export const TerminationReason = {
  NormalClose: 0,
  TerminationReceived: 1,
  IdleTimeout: 2,
  RouterShutdown: 3,
  DataPhaseAeadFailure: 4,
  IncompatibleOptions: 5,
  IncompatibleSignatureType: 6,
  ClockSkew: 7,
  PaddingViolation: 8,
  AeadFramingError: 9,
  PayloadFormatError: 10,
  Message1Error: 11,
  Message2Error: 12,
  Message3Error: 13,
  IntraFrameReadTimeout: 14,
  RouterInfoSignatureVerificationFail: 15,
  /** "s parameter missing, invalid, or mismatched in RouterInfo". */
  BadStaticKeyParameter: 16,
  Banned: 17,
} as const;

export type TerminationReasonCode = (typeof TerminationReason)[keyof typeof TerminationReason];

const NAMES = new Map<number, string>(Object.entries(TerminationReason).map(([name, code]) => [code, name]));

/** A readable name for a reason byte (unknown values are allowed on the wire: "reason 42"). */
export function terminationReasonName(code: number): string {
  return NAMES.get(code) ?? `reason ${code}`;
}
