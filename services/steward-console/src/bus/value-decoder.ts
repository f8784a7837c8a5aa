import { errorMessage } from '@hub/errors';
import { unframe, type SchemaRegistry } from '@hub/kafka';
import { asTextOrHex, displayJson, type DecodedValue } from '../domain/dead-letter.js';

/**
 * Shows a dead letter's original value: Confluent wire format is decoded with the writer schema
 * from the registry (looked up under `<original topic>-value`); anything else is shown as text or
 * hex with the reason it could not be decoded.
 */
export async function decodeOriginal(registry: SchemaRegistry, sourceTopic: string | undefined, value: Buffer | null): Promise<DecodedValue> {
  if (value === null || value.length === 0) return { kind: 'empty' };
  let framed: { schemaId: number; body: Buffer };
  try {
    framed = unframe(value);
  } catch {
    return asTextOrHex(value, 'not Confluent wire format / không phải định dạng Confluent');
  }
  try {
    const type = await registry.writerType(`${sourceTopic ?? 'unknown'}-value`, framed.schemaId);
    return { kind: 'avro', schemaId: framed.schemaId, json: displayJson(type.fromBuffer(framed.body)) };
  } catch (e) {
    return asTextOrHex(value, `schema id ${framed.schemaId}: ${errorMessage(e)}`);
  }
}
