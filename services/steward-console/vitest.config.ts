import { unitConfig } from '@hub/testing/vitest';

export default unitConfig();
