// The upload protocol (tools/flash/upload.ts) against a scripted Espruino console: what
// goes over the wire for RAM and --save, the probe and its Ctrl-C fallback, and errors.
// Runs everywhere (the real interpreter is test/flash/flash.test.ts, with ESPRUINO_BIN).
import { describe, expect, it } from 'vitest';
import { upload, UploadError, jsString } from '../../tools/flash/upload';
import type { ConsolePort } from '../../tools/flash/upload';

/**
 * A console that answers like Espruino's REPL: DLE (0x10) is consumed, each completed
 * line is "run": print("FQ"+"x") prints FQx, reset() prints a banner, Storage.write()
 * and load() are recorded. `silentUntilCtrlC`: a board busy until it gets Ctrl-C.
 */
class FakeRepl implements ConsolePort {
  wire = '';
  lines: string[] = [];
  storage = '';
  loads = 0;
  resets = 0;
  ctrlC = 0;
  private fn: ((c: Uint8Array) => void) | null = null;
  private line = '';

  constructor(private opts: { silent?: boolean; silentUntilCtrlC?: boolean; failOn?: RegExp } = {}) {}

  onData(fn: (c: Uint8Array) => void): void {
    this.fn = fn;
  }

  private say(s: string): void {
    const fn = this.fn;
    if (fn !== null) setTimeout(() => fn(Buffer.from(s, 'latin1')), 1);
  }

  async write(data: Uint8Array): Promise<void> {
    const s = Buffer.from(data).toString('latin1');
    this.wire += s;
    for (const ch of s) {
      if (ch === '\x03') {
        this.ctrlC++;
        this.line = '';
        this.opts.silentUntilCtrlC = false;
        continue;
      }
      if (ch === '\x10') continue;
      if (ch !== '\n') {
        this.line += ch;
        continue;
      }
      const line = this.line;
      this.line = '';
      this.lines.push(line);
      if (this.opts.silent || this.opts.silentUntilCtrlC) continue;
      if (this.opts.failOn && this.opts.failOn.test(line)) {
        this.say('Uncaught SyntaxError: Got ? expected EOF\r\n at line 1\r\n>');
        continue;
      }
      let m = /^print\("FQ"\+"([^"]*)"\)$/.exec(line);
      if (m) this.say(`FQ${m[1]}\r\n>`);
      else if (line === 'reset();') {
        this.resets++;
        this.say('\r\n _____ banner\r\n>');
      } else if ((m = /^require\("Storage"\)\.write\("\.bootcde",("(?:[^"\\]|\\.)*"),(\d+)(?:,(\d+))?\);$/.exec(line))) {
        const piece = JSON.parse(m[1]) as string;
        expect(Number(m[2])).toBe(this.storage.length);
        this.storage += piece;
        this.say('\r\x1b[J>');
      } else if (line === 'half();') {
        // a print the board has not finished when the upload ends
        this.say('\r\nconn');
      } else if (line === 'load();') {
        this.loads++;
        this.say('\r\n banner\r\nhello from boot\r\n>');
      } else if (line !== '') {
        this.say('\r\x1b[J>');
      }
    }
  }
}

const CODE = 'var a="x\\ny";function f(){print("hello "+a)}\nf();\n\nsetInterval(f,1000);';

describe('upload (the Web IDE protocol)', () => {
  it('to RAM: probe, reset(), every line after DLE, a closing probe; no Ctrl-C when the board answers', async () => {
    const repl = new FakeRepl();
    const steps: string[] = [];
    const progress: number[] = [];
    await upload(repl, { code: CODE, chunkSize: 16, chunkDelayMs: 0, onStep: (s) => steps.push(s), onProgress: (n, t) => { progress.push(n); expect(t).toBe(CODE.length); } });
    expect(steps).toEqual(['probe', 'reset', 'upload', 'confirm', 'done']);
    expect(repl.ctrlC).toBe(0);
    expect(repl.resets).toBe(1);
    const code = repl.lines.filter((l) => !/^print\("FQ"|^reset\(\);$|^$/.test(l));
    expect(code).toEqual(CODE.split('\n').filter((l) => l !== ''));
    // every code line went out after DLE, so the board does not echo it
    for (const l of code) expect(repl.wire).toContain('\x10' + l + '\n');
    expect(progress[progress.length - 1]).toBe(CODE.length);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
  });

  it('--save: .bootcde written in chunks at their offsets (the first with the total size), then load()', async () => {
    const repl = new FakeRepl();
    const out: string[] = [];
    await upload(repl, { code: CODE, save: true, storageChunk: 10, chunkDelayMs: 0, onOutput: (t) => out.push(t) });
    expect(repl.storage).toBe(CODE);
    expect(repl.lines.filter((l) => l.startsWith('require("Storage")')).length).toBe(Math.ceil(CODE.length / 10));
    expect(repl.lines.find((l) => l.startsWith('require("Storage")'))).toMatch(new RegExp(`,0,${CODE.length}\\);$`));
    expect(repl.loads).toBe(1);
    // the board's output is passed on, without the probes' markers and prompts
    expect(out.join('')).toContain('hello from boot');
    expect(out.join('')).not.toMatch(/FQ[0-9a-z]{4,}|\x1b/);
  });

  it("passes on a line the board has not finished as it is, so the console after the upload continues it", async () => {
    const repl = new FakeRepl();
    const out: string[] = [];
    await upload(repl, { code: 'half();', chunkDelayMs: 0, onOutput: (t) => out.push(t) });
    expect(out.join('')).toMatch(/(^|\n)conn$/);
    // a finished line, or one that is only the prompt, still ends with its newline
    const done: string[] = [];
    await upload(new FakeRepl(), { code: CODE, save: true, chunkDelayMs: 0, onOutput: (t) => done.push(t) });
    expect(done.join('')).toMatch(/hello from boot\n$/);
  });

  it('--no-reset sends no reset()', async () => {
    const repl = new FakeRepl();
    await upload(repl, { code: CODE, reset: false, chunkDelayMs: 0 });
    expect(repl.resets).toBe(0);
  });

  it('a busy board gets one Ctrl-C, then the upload goes on', async () => {
    const repl = new FakeRepl({ silentUntilCtrlC: true });
    await upload(repl, { code: CODE, timeoutMs: 200, chunkDelayMs: 0 });
    expect(repl.ctrlC).toBe(1);
    expect(repl.resets).toBe(1);
  });

  it('a board that never answers: UploadError "did not answer", after one Ctrl-C', async () => {
    const repl = new FakeRepl({ silent: true });
    const e = await upload(repl, { code: CODE, timeoutMs: 150, chunkDelayMs: 0 }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(UploadError);
    expect((e as Error).message).toMatch(/did not answer within 150 ms.*nothing received/);
    expect(repl.ctrlC).toBe(1);
  });

  it('an error the board prints during the upload fails it, with the error', async () => {
    const repl = new FakeRepl({ failOn: /^f\(\);$/ });
    const e = await upload(repl, { code: CODE, chunkDelayMs: 0 }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(UploadError);
    expect((e as Error).message).toMatch(/the board reported an error:\nUncaught SyntaxError/);
  });

  it('jsString: a literal Espruino parses (quotes, backslashes, newlines; non-ASCII as \\u)', () => {
    expect(jsString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(jsString('°')).toBe('"\\u00b0"');
  });
});
