/**
 * The control plane in-process, with no door: repository operations, traffic and its events, and the answers it
 * gives when the part a call needs is off (prediction log, features, feedback) or the model has nothing to report.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Inferd, InvalidArgumentError, NotFoundError, UnsupportedError } from '../../src/index.js';
import { ROOT } from '../helpers/server.js';

const DIGITS = join(ROOT, 'models/digits/1/model.onnx');

describe('ControlPlane without a door', () => {
  let dir: string;
  let inferd: Inferd;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inferd-control-plane-'));
    for (const v of [1, 2]) {
      mkdirSync(join(dir, 'digits', String(v)), { recursive: true });
      cpSync(DIGITS, join(dir, 'digits', String(v), 'model.onnx'));
    }
    writeFileSync(join(dir, 'digits', 'config.yaml'), 'version_policy: all\n');
    inferd = await Inferd.create({ modelRepository: dir, modelControlMode: 'explicit', loadModels: [] });
  });

  after(async () => {
    await inferd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a model on request, and the index and traffic follow', async () => {
    const control = inferd.control;
    assert.equal(control.mode, 'explicit');
    assert.deepEqual(control.index({ readyOnly: true }), []);
    await control.load('digits');
    assert.deepEqual(
      control.index({ readyOnly: true }).map((e) => [e.name, e.version, e.state]),
      [
        ['digits', 1, 'READY'],
        ['digits', 2, 'READY'],
      ],
    );
    const traffic = control.traffic('digits');
    assert.deepEqual(
      traffic.versions.map((v) => [v.version, v.share]),
      [
        [1, 0],
        [2, 100],
      ],
    );
  });

  it('changes weights from a traffic document, records the change, and refuses a bad one', () => {
    const control = inferd.control;
    const view = control.setTraffic('digits', { weights: { '1': 90, '2': 10 } });
    assert.deepEqual(Object.fromEntries(view.weights ?? []), { 1: 90, 2: 10 });
    const changed = control.events('digits').filter((e) => e.type === 'traffic_changed');
    assert.equal(changed.length, 1);
    assert.throws(() => control.setTraffic('digits', { weights: { '7': 100 } }), InvalidArgumentError);
    assert.throws(() => control.events('nope'), NotFoundError);
  });

  it('says which part is off, and what to turn on, when a call needs it', async () => {
    const control = inferd.control;
    await assert.rejects(() => control.predictions({ limit: 10 }), /audit trail is off.*audit\.enabled: true/);
    await assert.rejects(() => control.writeFeatures('users', { rows: [] }), /no features config/);
    await assert.rejects(() => control.feedback({ feedback: [] }), /needs the prediction log.*audit\.enabled: true/);
    await assert.rejects(() => control.driftReport('digits'), /has no drift monitoring; add drift:/);
  });

  it('refuses load and unload outside explicit mode, naming the flag', async () => {
    const other = await Inferd.create({ modelRepository: dir });
    try {
      await assert.rejects(
        () => other.control.unload('digits'),
        (err: unknown) => {
          assert.ok(err instanceof UnsupportedError);
          assert.match(err.message, /--model-control-mode explicit/);
          return true;
        },
      );
    } finally {
      await other.stop();
    }
  });
});
