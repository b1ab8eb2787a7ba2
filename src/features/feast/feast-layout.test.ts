import assert from 'node:assert/strict';
import { test } from 'node:test';
import { feastRedisKey } from './feast-entity-key.js';
import { fixtureView, readFeastFixture } from './feast-fixture.js';
import { decodeFeastRow, featureField, timestampField } from './feast-layout.js';
import { decodeFeastValue, encodeFeastValue, encodeTimestampSeconds } from './feast-value.js';

const fixture = readFeastFixture();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test("Redis keys equal Feast's serialize_entity_key + project (versions 2 and 3, string, int64 and composite keys)", () => {
  for (const e of fixture.entries) {
    const view = fixtureView(fixture, e);
    const key = view.entities.map((s) => String(e.entities[s.name]));
    assert.equal(
      hex(feastRedisKey(view.entities, key, fixture.project, e.version)),
      e.key_hex,
      JSON.stringify(e.entities),
    );
  }
});

test("hash fields, Value and Timestamp bytes equal what Feast's online_write_batch writes", () => {
  for (const e of fixture.entries) {
    const expected = new Map(Object.entries(e.fields_hex));
    assert.equal(
      expected.get(hex(Buffer.from(timestampField(fixture.view.name)))),
      hex(encodeTimestampSeconds(e.event_time_ms / 1000)),
    );
    for (const [name, , type] of fixture.view.features) {
      const field = hex(featureField(fixture.view.name, name));
      assert.ok(expected.has(field), `field of ${name}`);
      const v = e.values[name];
      assert.equal(hex(encodeFeastValue(type, v === null ? null : Number(v))), expected.get(field), `${name} = ${v}`);
    }
  }
});

test('rows decode from the Feast bytes to the values Feast wrote (nulls as empty Values)', () => {
  for (const e of fixture.entries) {
    const view = fixtureView(fixture, e);
    const fields = new Map(Object.entries(e.fields_hex));
    const answer = [
      ...view.features.map((f) => Buffer.from(fields.get(hex(featureField(view.name, f.name)))!, 'hex')),
      Buffer.from(fields.get(hex(Buffer.from(timestampField(view.name))))!, 'hex'),
    ];
    const row = decodeFeastRow(view, answer)!;
    assert.equal(row.eventTimeMs, e.event_time_ms);
    assert.deepEqual(row.values, e.values);
  }
});

test('unsupported Value members decode to a description, not a number', () => {
  assert.deepEqual(decodeFeastValue(Buffer.from('0a0161', 'hex')), { unsupported: 'bytes_val' });
  assert.equal(decodeFeastValue(Buffer.from('120431322e35', 'hex')), '12.5');
});
