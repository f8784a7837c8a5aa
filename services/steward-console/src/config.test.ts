import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const base = { DATABASE_URL: 'postgres://u@h/hub_console', KAFKA_BROKERS: 'a:9092, b:9092', SCHEMA_REGISTRY_URL: 'http://r/apis/ccompat/v7' };

describe('config', () => {
  it('parses lists, JSON SLOs, and treats empty optional URLs as absent', () => {
    const c = loadConfig({ ...base, SOURCE_SLOS: '{"civil-status":{"freshnessMinutes":60}}', ALERT_WEBHOOK_URL: '', CONSOLIDATION_URL: '' });
    expect(c.KAFKA_BROKERS).toEqual(['a:9092', 'b:9092']);
    expect(c.SOURCE_SLOS['civil-status']?.freshnessMinutes).toBe(60);
    expect(c.ALERT_WEBHOOK_URL).toBeUndefined();
    expect(c.CONSOLIDATION_URL).toBeUndefined();
  });

  it('lists every bad key, with the cross-field rule explained', () => {
    expect(() => loadConfig({ ...base, SOURCE_SLOS: 'nope', HEARTBEAT_TIMEOUT_SECONDS: '-1' })).toThrow(/HEARTBEAT_TIMEOUT_SECONDS: Too small[\s\S]*SOURCE_SLOS: is not valid JSON/);
    expect(() => loadConfig({ ...base, TOPIC_OWN_DLQ: 'errors.console' })).toThrow('TOPIC_OWN_DLQ: TOPIC_OWN_DLQ must start with DLQ_TOPIC_PREFIX');
  });
});
