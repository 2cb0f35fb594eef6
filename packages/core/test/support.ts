// The shared scenario steps live in the core's testing module (persistence runs the same flows).
export {
  activatedCustomer,
  buyer,
  createTestCore,
  customer,
  deliver,
  operator,
  platform,
  read,
  workspaceMovedToAws,
} from '../src/testing/index.js';

export const HOUR = 3_600_000;
