// Uploading JavaScript to an Espruino board over its console (the REPL on a serial
// port), as the Espruino Web IDE and the `espruino` CLI do:
//
// 1. Probe: `\n` ends whatever half-typed line the console holds, then
//    `\x10print("FQ"+"<nonce>")` (0x10 DLE: no echo for that line); the board is there
//    when the nonce comes back. Only when it does not answer is Ctrl-C (0x03) sent, which
//    clears the input line and interrupts running code, and the probe repeated. (Ctrl-C
//    is kept for that case: on Espruino's Linux build a second Ctrl-C ends the process.)
// 2. `reset()` (unless told not to): the code running before is gone; wait for the probe.
// 3. The code:
//    - to RAM: every line prefixed with 0x10 (the console consumes it wherever it comes,
//      so it never lands inside a string), executed as it arrives;
//    - --save: written to Storage as `.bootcde` in chunks
//      (`require("Storage").write(".bootcde", chunk, offset, total)`), then `load()`, which
//      restarts the interpreter and runs it; it then also runs after every reset.
// 4. The probe again: when it answers, every statement before it has run.
//
// Writes go out in chunks, each waiting for the port to drain, with a short pause between
// them (a board's console buffer is small; USB-serial bridges drop bytes on overrun). What
// the board prints meanwhile is passed to onOutput; an "Uncaught" error is an upload failure.

/** A console the upload talks to: a serial port, or a stand-in in tests. */
export interface ConsolePort {
  write(data: Uint8Array): Promise<void>;
  /** everything the board sends from now on */
  onData(fn: (chunk: Uint8Array) => void): void;
}

export interface UploadOptions {
  code: string;
  /** write to Storage (.bootcde) and load(), instead of running from RAM */
  save?: boolean;
  /** send reset() first; default true */
  reset?: boolean;
  /** ms to wait for the board to answer a probe; default 3000 */
  timeoutMs?: number;
  /** bytes per write; default 256 */
  chunkSize?: number;
  /** ms between writes; default 5 */
  chunkDelayMs?: number;
  /** bytes of code per Storage.write call (--save); default 1024 */
  storageChunk?: number;
  /** sent/total bytes of the code, after each write */
  onProgress?(sent: number, total: number): void;
  /** what the board printed (probes removed) */
  onOutput?(text: string): void;
  /** a step: 'probe', 'reset', 'upload', 'save', 'load', 'done' */
  onStep?(step: string): void;
}

export class UploadError extends Error {}

const DLE = '\x10';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function bytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** A JavaScript string literal Espruino parses: JSON's, with non-ASCII escaped. */
export function jsString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export async function upload(port: ConsolePort, o: UploadOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 3000;
  const chunkSize = o.chunkSize ?? 256;
  const chunkDelay = o.chunkDelayMs ?? 5;
  let received = '';
  let shown = 0;
  let uncaught: string | null = null;
  const markers: string[] = [];
  let finished = false;
  port.onData((chunk) => {
    if (finished) return;
    received += Buffer.from(chunk).toString('latin1');
    flushOutput(false);
  });

  // What the board printed, without the probes' markers, prompts and cursor codes; passed
  // on a line at a time (all of it on the final flush, where a line the board has not
  // finished stays unfinished: the console passthrough after the upload continues it).
  function flushOutput(all: boolean): void {
    const end = all ? received.length : received.lastIndexOf('\n') + 1;
    if (end <= shown) return;
    let text = received.slice(shown, end);
    shown = end;
    text = text.replace(/\x1b\[J/g, '').replace(/\r/g, '');
    for (const m of markers) text = text.split(m + '\n').join('').split(m).join('');
    // the last line is finished, or only the prompt
    const tail = text.slice(text.lastIndexOf('\n') + 1);
    const whole = tail === '' || tail === '>';
    text = text.split('\n').filter((l) => l !== '>' && l !== '').map((l) => l.replace(/^>/, '')).join('\n');
    const u = /Uncaught[^\n]*(\n[^\n]*)?/.exec(text);
    if (u !== null && uncaught === null) uncaught = u[0];
    if (text !== '' && o.onOutput) o.onOutput(whole ? text + '\n' : text);
  }

  async function send(s: string, progress?: { total: number; codeBytes: (upTo: number) => number }): Promise<void> {
    for (let i = 0; i < s.length; i += chunkSize) {
      await port.write(bytes(s.slice(i, i + chunkSize)));
      if (progress && o.onProgress) o.onProgress(progress.codeBytes(Math.min(i + chunkSize, s.length)), progress.total);
      if (chunkDelay > 0) await sleep(chunkDelay);
    }
  }

  /** True when the board printed the probe's nonce within timeoutMs. */
  async function probe(prefix: string, wait: number): Promise<boolean> {
    const nonce = `FQ${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    markers.push(nonce);
    const from = received.length;
    await send(`${prefix}${DLE}print("FQ"+${jsString(nonce.slice(2))})\n`);
    const t0 = Date.now();
    while (Date.now() - t0 < wait) {
      if (received.indexOf(nonce, from) >= 0) return true;
      await sleep(10);
    }
    return false;
  }

  o.onStep?.('probe');
  if (!(await probe('\n', timeoutMs))) {
    // busy, or a half-typed multi-line statement: Ctrl-C, then ask again
    await send('\x03');
    await sleep(300);
    if (!(await probe('\n', timeoutMs))) {
      flushOutput(true);
      finished = true;
      throw new UploadError(`the board did not answer within ${timeoutMs} ms (is it running Espruino? is the baud rate right?)${received === '' ? ': nothing received' : `; received: ${JSON.stringify(received.slice(-200))}`}`);
    }
  }
  flushOutput(true);
  if (o.reset !== false) {
    o.onStep?.('reset');
    await send(`${DLE}reset();\n`);
    await sleep(500);
    if (!(await probe('', timeoutMs))) throw new UploadError(`the board did not answer after reset() within ${timeoutMs} ms`);
    flushOutput(true);
    uncaught = null;
  }
  const code = o.code.replace(/\r\n?/g, '\n');
  const total = code.length;
  if (o.save) {
    o.onStep?.('save');
    const step = o.storageChunk ?? 1024;
    for (let off = 0; off < total; off += step) {
      const piece = code.slice(off, off + step);
      await send(`${DLE}require("Storage").write(".bootcde",${jsString(piece)},${off}${off === 0 ? `,${total}` : ''});\n`);
      if (o.onProgress) o.onProgress(Math.min(off + step, total), total);
      // each write answers before the next goes out: Storage writes take the board a while
      if (!(await probe('', timeoutMs))) throw new UploadError(`the board stopped answering while writing .bootcde (at byte ${off} of ${total})`);
      if (uncaught !== null) break;
    }
    if (uncaught === null) {
      o.onStep?.('load');
      await send(`${DLE}load();\n`);
      await sleep(500);
    }
  } else {
    o.onStep?.('upload');
    // line by line, each line after DLE (positions in `wire` map back to code bytes)
    const lines = code.split('\n');
    let wire = '';
    const codeAt: number[] = [];
    let codePos = 0;
    for (const line of lines) {
      if (line === '') {
        codePos += 1;
        continue;
      }
      codeAt.push(wire.length, codePos);
      wire += DLE + line + '\n';
      codePos += line.length + 1;
    }
    const codeBytes = (upTo: number) => {
      let best = 0;
      for (let i = 0; i < codeAt.length; i += 2) if (codeAt[i] <= upTo) best = Math.min(total, codeAt[i + 1] + (upTo - codeAt[i]));
      return best;
    };
    await send(wire, { total, codeBytes });
  }
  if (uncaught === null) {
    o.onStep?.('confirm');
    // the board may be restarting (load() of the saved code) and running the bundle's
    // start-up, which on a slow board (or a busy machine) takes seconds: answered at once
    // when it can, so only a board that is really gone waits the whole time
    const confirmMs = Math.max(timeoutMs, 15000);
    if (!(await probe('', confirmMs))) {
      flushOutput(true);
      throw new UploadError(`the board did not answer after the upload within ${confirmMs} ms`);
    }
  }
  flushOutput(true);
  finished = true;
  if (uncaught !== null) throw new UploadError(`the board reported an error:\n${uncaught}`);
  o.onStep?.('done');
}
