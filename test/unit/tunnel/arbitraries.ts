/** fast-check generators shared by the tunnel data-path tests. */
import fc from 'fast-check';
import type { FragmentHeader } from '../../../src/router/tunnel/delivery-instructions.js';
import type { TunnelDelivery } from '../../../src/router/tunnel/types.js';

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const delivery: fc.Arbitrary<TunnelDelivery> = fc.oneof(
  fc.constant<TunnelDelivery>({ type: 'local' }),
  fc.record({ type: fc.constant('tunnel' as const), tunnelId: fc.integer({ min: 1, max: 0xffffffff }), gateway: hash }),
  fc.record({ type: fc.constant('router' as const), hash }),
);

export const fragmentHeader: fc.Arbitrary<FragmentHeader> = fc.oneof(
  fc
    .record({ delivery, messageId: fc.option(u32, { nil: undefined }), size: fc.integer({ min: 1, max: 0xffff }) })
    .map(({ delivery, messageId, size }): FragmentHeader =>
      messageId === undefined ? { kind: 'first', delivery, size } : { kind: 'first', delivery, messageId, size },
    ),
  fc.record({
    kind: fc.constant('follow-on' as const),
    fragmentNumber: fc.integer({ min: 1, max: 63 }),
    last: fc.boolean(),
    messageId: u32,
    size: fc.integer({ min: 1, max: 0xffff }),
  }),
);
