import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentCommands, expandUsage, splitCommands } from './readme-commands.js';

test('a quoted body spanning lines is one command, and a # inside the quotes is part of it', () => {
  const [cmd] = splitCommands(`curl -X POST localhost:8000/v1/feedback -d '{"feedback": [\n  {"id": "req-1", "label": 1},   # a class index\n  {"id": "req-2"}]}'\n# {"accepted": 1}`);
  assert.equal(cmd.text, `curl -X POST localhost:8000/v1/feedback -d '{"feedback": [\n  {"id": "req-1", "label": 1},   # a class index\n  {"id": "req-2"}]}'`);
  assert.equal(cmd.notes, '{"accepted": 1}');
});

test('backslash-newlines continue a command; comments after it and on the lines below annotate it until a blank line', () => {
  const cmds = splitCommands('# Is it up?\ncurl -i \\\n  http://x/ready   # 200 when ready\n# → {"ok":true}\n\n# next\nnpm start  # serves');
  assert.deepEqual(cmds.map((c) => c.text), ['curl -i \\\n  http://x/ready', 'npm start']);
  assert.deepEqual(cmds.map((c) => c.notes), ['200 when ready\n→ {"ok":true}', 'serves']);
  assert.deepEqual(cmds.map((c) => c.line), [2, 7]);
});

test('only sh, bash and shell blocks are read, with document line numbers', () => {
  const md = '# T\n\n```sh\nnpm install\n```\n\n```json\n{"a": 1}\n```\n\n```bash\ninferd models list\n```\n';
  assert.deepEqual(documentCommands(md).map((c) => [c.line, c.text]), [[4, 'npm install'], [12, 'inferd models list']]);
});

test('a usage line expands into one command per alternative, without its optional argument', () => {
  assert.deepEqual(expandUsage('inferd rollout pause|resume digits [ROLLOUT_ID]'), ['inferd rollout pause digits', 'inferd rollout resume digits']);
  assert.deepEqual(expandUsage('curl -s x | jq .'), ['curl -s x | jq .']);
});
