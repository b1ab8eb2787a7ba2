/**
 * The shell commands of a Markdown document: every fenced ```sh / ```bash / ```shell block, split into commands
 * as a shell reads them (quotes and backslash-newlines continue a command; `#` at the start of a word outside
 * quotes starts a comment). Each command keeps the comments written after it on the same line and on the comment
 * lines that follow it, where a README shows the expected answer.
 */

export interface DocCommand {
  /** The command as the shell runs it, comments removed. */
  readonly text: string;
  /** The comment on its line and the comment lines right after it (without `#`), e.g. the expected output. */
  readonly notes: string;
  /** 1-based line of the document where the command starts. */
  readonly line: number;
}

const FENCE = /^```(sh|bash|shell)\s*$/;

/** The fenced shell blocks of a document, with the line each one's body starts on. */
export function shellBlocks(markdown: string): Array<{ body: string; line: number }> {
  const lines = markdown.split('\n');
  const blocks: Array<{ body: string; line: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i].trim())) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].trim().startsWith('```')) end++;
    blocks.push({ body: lines.slice(start, end).join('\n'), line: start + 1 });
    i = end;
  }
  return blocks;
}

interface Pending {
  text: string;
  readonly notes: string[];
  readonly line: number;
}

interface ScannedLine {
  /** The line without its comment. */
  readonly code: string;
  readonly comment?: string;
  /** The quote still open at the end of the line, if any. */
  readonly quote?: string | undefined;
  /** True when the line ends with a backslash outside quotes. */
  readonly continued: boolean;
}

/** Reads one line as the shell does, starting inside `quote` when a quoted string spans lines. */
function scanLine(raw: string, quote: string | undefined): ScannedLine {
  let code = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < raw.length) code += raw[i++];
      code += raw[i];
    } else if (c === '#' && (code === '' || /\s$/.test(code))) {
      return { code: code.trimEnd(), comment: raw.slice(i + 1).trim(), continued: false };
    } else {
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\' && i + 1 < raw.length) code += raw[i++];
      code += raw[i];
    }
  }
  return { code, quote, continued: !quote && code.endsWith('\\') };
}

/** Splits one block into commands (see the file comment). */
export function splitCommands(body: string, firstLine = 1): DocCommand[] {
  const commands: Pending[] = [];
  let current: Pending | undefined;
  // The last command: comment lines after it annotate it, until a blank line.
  let annotated: Pending | undefined;
  let quote: string | undefined;
  body.split('\n').forEach((raw, index) => {
    if (!current && raw.trim() === '') {
      annotated = undefined;
      return;
    }
    const scanned = scanLine(raw, quote);
    quote = scanned.quote;
    if (!current && scanned.code.trim() === '') {
      if (scanned.comment !== undefined) annotated?.notes.push(scanned.comment);
      return;
    }
    current ??= { text: '', notes: [], line: firstLine + index };
    current.text += (current.text ? '\n' : '') + scanned.code;
    if (scanned.comment !== undefined) current.notes.push(scanned.comment);
    if (quote || scanned.continued) return;
    current.text = current.text.trim();
    commands.push(current);
    annotated = current;
    current = undefined;
  });
  if (current) commands.push(current);
  return commands.map((c) => ({ text: c.text, notes: c.notes.join('\n'), line: c.line }));
}

/** Every shell command of a Markdown document, in order. */
export function documentCommands(markdown: string): DocCommand[] {
  return shellBlocks(markdown).flatMap((b) => splitCommands(b.body, b.line));
}

/**
 * Expands a usage line's alternatives into commands: `rollout pause|resume digits [ROLLOUT_ID]` is
 * `rollout pause digits` and `rollout resume digits` (an upper-case `[ARGUMENT]` is optional and left out).
 * A command without alternatives is itself.
 */
export function expandUsage(text: string): string[] {
  const words = text.replace(/\s+\[[A-Z][A-Z0-9_]*\]/g, '').split(/ +/);
  const at = words.findIndex((w) => /^[a-z][a-z-]*(\|[a-z][a-z-]*)+$/.test(w));
  if (at === -1) return [words.join(' ')];
  return words[at].split('|').flatMap((alt) => expandUsage([...words.slice(0, at), alt, ...words.slice(at + 1)].join(' ')));
}
