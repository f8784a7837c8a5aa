import { integrationConfig } from '@hub/testing/vitest';

export default integrationConfig();
